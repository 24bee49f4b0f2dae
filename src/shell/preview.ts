// Previews: what a file-like step would change, read on the node in the same script.
// In a dry run (and in an apply with diffs asked for), a step whose check fails first runs
// its preview, which prints frames of the file's current content (and, when the new content
// is made on the node, as an edit's is, of the new one) into the block's captured stdout:
//   \n@fl-preview <step> <old|new> <file|none|other> <bytes> <sha256|-> <base64 chars>\n<base64>\n
// Content up to PREVIEW_MAX bytes is sent (base64: any bytes survive the text channel);
// larger files send only their size and digest. No extra round trip, bounded per file.
import { Cmd, sh } from './sh.ts';
import type { ByteSource } from './stream.ts';

/** Files up to this size come back whole for a diff; larger ones as size and digest. */
export const PREVIEW_MAX = 64 * 1024;

export const PREVIEW_MARK = '@fl-preview';

/** The new content of a previewed file, when it is known before the script runs. */
export type PreviewAfter = { text: string } | { source: ByteSource } | { absent: true };

export interface Preview {
  /** The file, as the diff names it. */
  path: string;
  /** Prints the frames (with fl_show): "old", and "new" when the node makes the new content. */
  show: Cmd;
  /** The new content when it is known here (a file's); else the node sends it ("new"). */
  after?: PreviewAfter;
  /** The new content holds a secret: its lines show as changed, as ***. */
  secret?: boolean;
}

/** fl_show STEP old|new PATH: one frame for the file at PATH (defined in scripts that preview). */
export const SHOW_FUNCTION = `fl_show() {
  if [ -f "$3" ]; then
    fl_s=$(wc -c <"$3" | tr -d ' '); fl_h=$(sha256sum <"$3"); fl_h=\${fl_h%% *}
    if [ "$fl_s" -le ${PREVIEW_MAX} ]; then fl_b=$(base64 -w0 <"$3"); else fl_b=; fi
    printf '\\n${PREVIEW_MARK} %s %s file %s %s %s\\n%s\\n' "$1" "$2" "$fl_s" "$fl_h" "\${#fl_b}" "$fl_b"
  elif [ -e "$3" ] || [ -L "$3" ]; then printf '\\n${PREVIEW_MARK} %s %s other 0 - 0\\n\\n' "$1" "$2"
  else printf '\\n${PREVIEW_MARK} %s %s none 0 - 0\\n\\n' "$1" "$2"; fi
}`;

/** The preview of a file whose new content is known here: only its current content is read. */
export function showFile(path: string): Cmd {
  return sh`fl_show "$fl_step" old ${path}`;
}

/** Runs a step's preview in the script: its frames join the block's stdout; it never fails the block. */
export function renderPreview(step: number, preview: Preview): Cmd {
  return new Cmd(
    `fl_step=${step}; (set -e\n${preview.show.text}\n) </dev/null >>"$fl_t/o" 2>/dev/null || :`,
    `fl_step=${step}; (set -e\n${preview.show.shown}\n) </dev/null >>"$fl_t/o" 2>/dev/null || :`,
    preview.show.secrets,
  );
}

export interface FileState {
  /** file: a regular file; none: nothing there; other: a directory, a device… */
  kind: 'file' | 'none' | 'other';
  size: number;
  sha256?: string;
  /** The bytes, when the file was small enough to be sent. */
  bytes?: Buffer;
}

export interface Frame {
  step: number;
  which: 'old' | 'new';
  state: FileState;
}

/** The frames at the start of a block's stdout, and what the block printed after them. */
export function parseFrames(stdout: string): { frames: Frame[]; rest: string } {
  const frames: Frame[] = [];
  let pos = 0;
  const head = `\n${PREVIEW_MARK} `;
  while (stdout.startsWith(head, pos)) {
    const end = stdout.indexOf('\n', pos + 1);
    if (end < 0) break;
    const [, step, which, kind, size, sha, len] = stdout.slice(pos + 1, end).split(' ');
    const n = Number(len);
    if ((which !== 'old' && which !== 'new') || (kind !== 'file' && kind !== 'none' && kind !== 'other') || !Number.isInteger(n)) break;
    const body = stdout.slice(end + 1, end + 1 + n);
    const state: FileState = { kind, size: Number(size), ...(sha && sha !== '-' ? { sha256: sha } : {}) };
    if (kind === 'file' && (n > 0 || state.size === 0)) state.bytes = Buffer.from(body, 'base64');
    frames.push({ step: Number(step), which, state });
    pos = end + 1 + n + 1;
  }
  return { frames, rest: stdout.slice(pos) };
}

