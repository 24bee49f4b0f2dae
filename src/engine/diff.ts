// Diffs of what file-like actions would change: the node's current content (sent back in
// the same script, shell/preview.ts) against the new one (known here, or made on the node
// for an edit), as a unified diff (the `diff` package). A file too large or not text shows
// its sizes and digests. Secrets never show: every secret value is masked, and in content
// that holds a secret each line holding it, and each current line the new content does not
// show openly (it may hold the old secret), shows as a changed `***` line.
import { createHash, createHmac } from 'node:crypto';
import { structuredPatch } from 'diff';
import { parseFrames, type FileState, type Frame, type Preview } from '../shell/preview.ts';
import { maskSecrets } from '../shell/sh.ts';

/** One side of a change: what is at the path. */
export interface ContentState {
  /** file: a regular file; none: nothing; other: a directory, a device… */
  kind: 'file' | 'none' | 'other';
  size: number;
  /** `sha256:<hex>`; for content holding a secret, `hmac:<hex>` keyed by the secret (comparable, not guessable). */
  digest?: string;
}

/** What one file-like step would change on a node. */
export interface FileChange {
  path: string;
  before: ContentState;
  /** Absent when the new content is made on the node and did not come back. */
  after?: ContentState;
  /** Unified diff, secrets as ***; absent when a side is not text or too large (then see `note`). */
  diff?: string;
  note?: string;
}

const OLD_SECRET = '\u0000forklift-old-secret';
const NEW_SECRET = '\u0000forklift-new-secret';

/** The frames at the start of a block's stdout read into changes, and what the block printed after them. */
export function readChanges(stdout: string, previews: ReadonlyArray<Preview | undefined>, secrets: readonly string[]): { stdout: string; changes: FileChange[] } {
  if (!stdout.startsWith('\n@fl-preview ')) return { stdout, changes: [] };
  const { frames, rest } = parseFrames(stdout);
  const byStep = new Map<number, Frame[]>();
  for (const f of frames) (byStep.get(f.step) ?? byStep.set(f.step, []).get(f.step)!).push(f);
  const changes: FileChange[] = [];
  for (const [step, fs] of byStep) {
    const preview = previews[step];
    const old = fs.find((f) => f.which === 'old');
    if (!preview || !old) continue;
    const change = fileChange(preview, old.state, fs.find((f) => f.which === 'new')?.state, secrets);
    if (change) changes.push(change);
  }
  return { stdout: rest, changes };
}

function fileChange(preview: Preview, before: FileState, made: FileState | undefined, secrets: readonly string[]): FileChange | undefined {
  const keyed = preview.secret === true;
  const digestOf = (bytes: Buffer) => (keyed ? `hmac:${createHmac('sha256', secrets.join('\0')).update(bytes).digest('hex')}` : `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  const stateOf = (s: FileState): ContentState => ({
    kind: s.kind,
    size: s.size,
    ...(s.bytes ? { digest: digestOf(s.bytes) } : s.sha256 && !keyed ? { digest: `sha256:${s.sha256}` } : {}),
  });
  let afterBytes: Buffer | undefined;
  let after: ContentState | undefined;
  const a = preview.after;
  if (a && 'text' in a) {
    afterBytes = Buffer.from(a.text, 'utf8');
    after = { kind: 'file', size: afterBytes.length, digest: digestOf(afterBytes) };
  } else if (a && 'source' in a) {
    after = { kind: 'file', size: a.source.size, ...(keyed ? {} : { digest: `sha256:${a.source.sha256}` }) };
  } else if (a && 'absent' in a) {
    afterBytes = Buffer.alloc(0);
    after = { kind: 'none', size: 0 };
  } else if (made) {
    afterBytes = made.bytes;
    after = stateOf(made);
  }
  const change: FileChange = { path: preview.path, before: stateOf(before), ...(after ? { after } : {}) };
  const beforeText = before.kind === 'none' ? '' : before.kind === 'file' ? text(before.bytes) : undefined;
  const afterText = after?.kind === 'none' ? '' : text(afterBytes);
  if (beforeText !== undefined && afterText !== undefined) {
    // Same content: the step changes something else (owner, mode, a reload systemd asks for).
    if (beforeText === afterText && before.kind === after?.kind) return undefined;
    change.diff = unified(preview.path, before.kind === 'none' ? undefined : beforeText, after?.kind === 'none' ? undefined : afterText, keyed, secrets);
    return change;
  }
  const side = (s: ContentState | undefined) => (!s ? 'unknown' : s.kind === 'none' ? 'absent' : s.kind === 'other' ? 'not a regular file' : `${s.size} bytes${s.digest?.startsWith('sha256:') ? ` ${s.digest.slice(0, 19)}…` : ''}`);
  change.note = `${before.kind === 'file' && before.bytes === undefined ? 'large' : 'binary or not text'}: ${side(change.before)} → ${side(after)}`;
  return change;
}

/** UTF-8 text without NUL, or undefined. */
function text(bytes: Buffer | undefined): string | undefined {
  if (!bytes || bytes.includes(0)) return undefined;
  const t = bytes.toString('utf8');
  return Buffer.from(t, 'utf8').equals(bytes) ? t : undefined;
}

function unified(path: string, before: string | undefined, after: string | undefined, keyed: boolean, secrets: readonly string[]): string {
  let oldText = maskSecrets(before ?? '', secrets);
  let newText = maskSecrets(after ?? '', secrets);
  if (keyed) {
    const values = secrets.filter(Boolean);
    const holds = (line: string) => maskSecrets(line, values) !== line || (line.trim() !== '' && values.some((v) => v.includes(line)));
    const newLines = (after ?? '').split('\n');
    const open = new Set(newLines.filter((l) => !holds(l)));
    newText = newLines.map((l) => (holds(l) ? NEW_SECRET : l)).join('\n');
    oldText = (before ?? '').split('\n').map((l) => (open.has(l) ? l : OLD_SECRET)).join('\n');
  }
  const patch = structuredPatch(path, path, oldText, newText, undefined, undefined, { context: 3 });
  const out = [`--- ${before === undefined ? '/dev/null' : `${path} (now)`}`, `+++ ${after === undefined ? '/dev/null' : `${path} (planned)`}`];
  // Ranges as GNU diff writes them: a count of 1 is left out; an empty side starts at the line before.
  const range = (start: number, count: number) => (count === 1 ? `${start}` : `${count === 0 ? Math.max(0, start - 1) : start},${count}`);
  for (const h of patch.hunks) {
    out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`);
    for (const l of h.lines) out.push(l.replace(OLD_SECRET, '***').replace(NEW_SECRET, '***'));
  }
  return out.join('\n');
}
