// One script per node per phase. Each action becomes a labelled block that runs
// `check` (read-only) and, only when the check fails, `apply`; the block then writes a
// length-prefixed record of its status, exit code, stdout and stderr to the script's
// stdout, so any bytes an action prints come back intact and attributed to it (stream.ts).
// The script ends with the node's facts (facts.ts), so the next phase plans with them.
import { createHash } from 'node:crypto';
import { FACTS_FUNCTION } from './facts.ts';
import { renderPreview, SHOW_FUNCTION, type Preview } from './preview.ts';
import { Cmd, lines, raw, sh } from './sh.ts';
import { bodyLength, NEED_MARK, parseHeader, RECORD_MARK, type ByteSource } from './stream.ts';

export { RECORD_MARK };

export interface BlockStep {
  check?: Cmd;
  apply: Cmd;
  /**
   * Content the apply may ask for with `fl_need <sha256> <bytes> >file` (only the apply:
   * it alone gets the script's stdin and stdout, as fds 4 and 3, to ask and read).
   */
  sources?: readonly ByteSource[];
  /** What the step would change, read on the node when its check fails (dry runs, diffs). */
  preview?: Preview;
}

export interface Block {
  label: string;
  steps: readonly BlockStep[];
  /** Indexes of earlier blocks: run this one only if one of them changed (a handler). */
  onChangeOf?: readonly number[];
}

/** apply: converge the node. check: run only the read-only checks and report what would change. */
export type ScriptMode = 'apply' | 'check';

export interface RenderOptions {
  /** Run the previews of steps whose check fails (always in a dry run): diffs of what changes. */
  diff?: boolean;
  /** The node's last known architectures: its facts trailer asks dpkg only when the architecture changed. */
  known?: { architecture: string; packageArchitecture: string };
}

/** The script's exit code when it could not start on the node (no room for its capture folder). */
export const CANNOT_START = 97;

// Actions' output is captured in a private folder (mktemp -d: 0700) in /tmp, or in /dev/shm
// or /run when /tmp is full, made when the first check fails (fl_tmp): a run that changes
// nothing makes none. The folder goes when the script ends, also when it is stopped (TERM,
// HUP, INT) or its output is gone (PIPE).
const PRELUDE = `set -u
umask 022
export LC_ALL=C DEBIAN_FRONTEND=noninteractive PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fl_t=
fl_tmp() {
  [ -z "$fl_t" ] || return 0
  for fl_d in /tmp /dev/shm /run; do
    fl_t=$(mktemp -d "$fl_d/forklift.XXXXXX" 2>/dev/null) || continue
    if printf x 2>/dev/null >"$fl_t/w"; then : >"$fl_t/o"; : >"$fl_t/e"; return 0; fi
    rm -rf "$fl_t"; fl_t=
  done
  echo 'forklift: no room for a temporary folder in /tmp, /dev/shm or /run' >&2; exit ${CANNOT_START}
}
trap '[ -z "$fl_t" ] || rm -rf "$fl_t"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
fl_begin() { [ -z "$fl_t" ] || { : >"$fl_t/o"; : >"$fl_t/e"; }; }
fl_need() { printf '\\n${NEED_MARK} %s %s\\n' "$1" "$2" >&3 && head -c "$2" <&4; }
fl_report() {
  if [ -n "$fl_t" ] && { [ -s "$fl_t/o" ] || [ -s "$fl_t/e" ]; }; then
    printf '\\n${RECORD_MARK} %s %s %s %s %s\\n' "$1" "$2" "$3" "$(wc -c <"$fl_t/o")" "$(wc -c <"$fl_t/e")"
    cat "$fl_t/o" "$fl_t/e"
  else
    printf '\\n${RECORD_MARK} %s %s %s 0 0\\n' "$1" "$2" "$3"
  fi
}`;

function renderStep(index: number, stepIndex: number, step: BlockStep, mode: ScriptMode, diff: boolean): Cmd {
  // Only an apply with sources keeps the script's stdout (3) and stdin (4), to ask for them.
  const fds = step.sources?.length ? '3>&1 4<&0 ' : '';
  // `set -e` only holds in a subshell that is not itself part of an if/||/&& list,
  // so each check and apply runs as a plain command and its status is read after.
  const apply =
    mode === 'check'
      ? raw(`fl_c${index}=1`)
      : lines(
          raw('(set -e'),
          step.apply,
          raw(`) ${fds}</dev/null >>"$fl_t/o" 2>>"$fl_t/e"; fl_rc=$?`),
          raw(`if [ "$fl_rc" -ne 0 ]; then fl_report ${index} failed "$fl_rc"; exit "$fl_rc"; fi`),
          raw(`fl_c${index}=1`),
        );
  if (!step.check) return lines(raw('fl_tmp'), apply);
  return lines(
    raw('(set -e'),
    step.check,
    raw(`) </dev/null >/dev/null 2>&1; fl_rc=$?`),
    raw('if [ "$fl_rc" -ne 0 ]; then'),
    raw('fl_tmp'),
    step.preview && (diff || mode === 'check') ? renderPreview(stepIndex, step.preview) : undefined,
    apply,
    raw('fi'),
  );
}

/**
 * Handlers are not lost when a later action fails (Ansible's #4766): when a trigger
 * changes, a marker for each of its handlers is left on the node, and a handler runs
 * when its trigger changed in this run OR its marker is there; it removes the marker
 * once it has run. So a failed run's pending reload still happens on the next run.
 */
const PENDING_DIR = '${FORKLIFT_PENDING:-/var/lib/forklift/pending}';
const pendingKey = (label: string) => createHash('sha256').update(label).digest('hex').slice(0, 16);

function renderBlock(block: Block, index: number, mode: ScriptMode, notify: readonly string[], diff: boolean): Cmd {
  const apply = mode === 'apply';
  const marks = apply && notify.length ? raw(`if [ "$fl_c${index}" = 1 ]; then mkdir -p "$fl_pending" && touch ${notify.map((k) => `"$fl_pending/${k}"`).join(' ')}; fi`) : undefined;
  const own = block.onChangeOf?.length ? pendingKey(block.label) : undefined;
  const body = lines(
    ...block.steps.map((step, j) => renderStep(index, j, step, mode, diff)),
    raw(`if [ "$fl_c${index}" = 1 ]; then fl_report ${index} ${apply ? 'changed' : 'would-change'} 0; else fl_report ${index} ok 0; fi`),
    marks,
    apply && own ? raw(`rm -f "$fl_pending/${own}"`) : undefined,
  );
  const header = lines(raw(`# ${index}: ${block.label.replaceAll('\n', ' ')}`), raw(`fl_begin; fl_c${index}=0`));
  if (!own) return lines(header, body);
  const cond = [...block.onChangeOf!.map((i) => `[ "$fl_c${i}" = 1 ]`), `[ -e "$fl_pending/${own}" ]`].join(' || ');
  return lines(header, raw(`if ${cond}; then`), body, raw(`else fl_report ${index} skipped 0; fi`));
}

/** The whole phase script for one node; it ends by printing the node's facts. */
export function renderScript(blocks: readonly Block[], mode: ScriptMode = 'apply', options: RenderOptions = {}): Cmd {
  const notify = blocks.map((_, i) => blocks.filter((b) => b.onChangeOf?.includes(i)).map((b) => pendingKey(b.label)));
  const header = raw(`# forklift ${mode} script: ${blocks.length} action${blocks.length === 1 ? '' : 's'}`);
  const diff = options.diff === true;
  const previews = (diff || mode === 'check') && blocks.some((b) => b.steps.some((s) => s.preview));
  return lines(
    header,
    raw(PRELUDE),
    previews ? raw(SHOW_FUNCTION) : undefined,
    raw(`fl_pending=${PENDING_DIR}`),
    ...blocks.map((b, i) => renderBlock(b, i, mode, notify[i]!, diff)),
    // The facts come last, after every action: they describe the node as the phase left it.
    raw(`# facts\n${FACTS_FUNCTION}`),
    options.known?.architecture ? sh`fl_facts ${options.known.architecture} ${options.known.packageArchitecture}` : raw('fl_facts'),
    raw('exit 0'),
  );
}


/** Every source the blocks' applies may ask for, by SHA-256. */
export function scriptSources(blocks: readonly Block[]): Map<string, ByteSource> {
  const sources = new Map<string, ByteSource>();
  for (const b of blocks) for (const step of b.steps) for (const s of step.sources ?? []) sources.set(s.sha256, s);
  return sources;
}

export interface BlockRecord {
  index: number;
  status: 'changed' | 'ok' | 'failed' | 'skipped' | 'would-change';
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Parse the records a script wrote: the blocks' records in order, the facts body (when
 * the script got to its end). Bytes outside records are returned as `rest`.
 */
export function parseRecords(output: Buffer): { records: BlockRecord[]; facts?: string; rest: string } {
  const records: BlockRecord[] = [];
  const mark = Buffer.from(`\n${RECORD_MARK}`);
  const restParts: Buffer[] = [];
  let facts: string | undefined;
  let pos = 0;
  while (pos < output.length) {
    const at = output.indexOf(mark, pos);
    if (at < 0) break;
    const headerEnd = output.indexOf(0x0a, at + 1);
    if (headerEnd < 0) break;
    const header = parseHeader(output.subarray(at + 1, headerEnd).toString());
    restParts.push(output.subarray(pos, at));
    if (!header) {
      // Not a record after all: keep its bytes, look further.
      restParts.push(output.subarray(at, headerEnd));
      pos = headerEnd;
      continue;
    }
    const start = headerEnd + 1;
    if (header.kind === 'block') {
      const [o, e] = header.body;
      records.push({
        index: header.index,
        status: header.status as BlockRecord['status'],
        exitCode: header.exitCode,
        stdout: output.subarray(start, start + o).toString(),
        stderr: output.subarray(start + o, start + o + e).toString(),
      });
    } else if (header.kind === 'facts') {
      facts = output.subarray(start, start + header.length).toString();
    }
    pos = start + bodyLength(header);
  }
  restParts.push(output.subarray(pos));
  return { records, ...(facts !== undefined ? { facts } : {}), rest: Buffer.concat(restParts).toString() };
}
