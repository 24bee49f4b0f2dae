// The node's side of a run, as fixed shell text: nothing of the command is in it (so none
// of it shows in the node's process list), only the run's token and where its state lives.
//
// The command comes on stdin, its length first: the node's shell reads exactly that many
// bytes into memory and evaluates them, so the command (a phase script and every secret in
// it) is never written to disk nor passed as an argument; whatever follows on stdin is the
// command's own input. The command is wrapped in { }, and must end with that brace: a
// command cut short by a dropped connection runs nothing (exit 96).
//
// Every process of the run carries FORKLIFT_RUN=<token> in its environment; stopping the run
// kills each process that has it. A watchdog does that on the node itself when the run's
// sshd session ends first (the connection dropped, or forklift was killed), so a run never
// outlives its connection, as a command on a terminal gets SIGHUP. It starts with the first
// command and polls once a second.
//
// One channel may serve several commands (one exec per connection for an operation): a
// command framed as one of more (`+` before its length, or a short one-line command as
// `=` and its line) runs in a subshell with no stdin, and
// a line (NEXT_MARK and its exit code) ends its output on stdout and on stderr; the shell
// then reads the next command. The last command runs as a single one does, its exit code the
// channel's. Only commands whose output is read whole and whose background processes never
// write to the channel are framed so (state reads and writes, facts, phase scripts: actions
// write to files), since output written after the mark would be taken for the next's.
//
// A shell kept waiting between operations (kept sessions hold it from one CLI run to the
// next) is parked: PARK stops its watchdog, so an idle shell costs the node nothing; the
// next command starts a watchdog again.
//
// A user who is not root becomes root with `sudo -n` (never a prompt: no password, no
// terminal). sudo may stay as the shell's parent, so the login shell hands the sshd
// session's pid down (FORKLIFT_SSHD) for the watchdog to watch; the kill runs with sudo too.
import { quote } from '../shell/sh.ts';

/** How the node runs forklift's commands. */
export interface RemoteShell {
  /** Become root with `sudo -n`. */
  become?: boolean;
  /** Where forklift keeps its state on the node (handlers' pending markers under it). */
  stateDir?: string;
}

export const DEFAULT_STATE_DIR = '/var/lib/forklift';

/** Kill (TERM) every process whose environment holds FORKLIFT_RUN=<token>; `token` is shell text. One grep reads every environment. */
export function killRunScript(token: string): string {
  return `for e in $(grep -lszx "FORKLIFT_RUN=${token}" /proc/[0-9]*/environ); do p=\${e#/proc/}; kill -TERM "\${p%/environ}" 2>/dev/null; done; true`;
}

/** The command line that kills a run's processes, as the user its commands run as. */
export function killCommand(token: string, shell: RemoteShell = {}): string {
  if (!/^[0-9a-f]+$/.test(token)) throw new Error('a run token is hex');
  return shell.become ? `exec sudo -n sh -c ${quote(killRunScript(token))}` : killRunScript(token);
}

const NEXT_WORD = 'forklift-next';
/** What ends the output of a command framed as one of more, before its exit code and a newline. */
export const NEXT_MARK = Buffer.from(`\x1e${NEXT_WORD} `);

/**
 * fl_watch: start the run's watchdog (fl_wd); USR1 stops it. A process counts as alive while
 * its /proc entry is there and not a zombie: a shell whose sshd session ended first is
 * orphaned, and stays a zombie until init reaps it.
 */
const WATCHDOG = `fl_ssh=\${FORKLIFT_SSHD:-$PPID}; unset FORKLIFT_SSHD; fl_wd=
fl_live() { read -r fl_s 2>/dev/null <"/proc/$1/stat" || return 1; fl_s=\${fl_s##*) }; [ "\${fl_s%% *}" != Z ]; }
fl_watch() {
(trap '' TERM HUP; trap 'exit 0' USR1; while fl_live "$fl_ssh" && fl_live $$; do sleep 1; done; if fl_live $$; then ${killRunScript('$FORKLIFT_RUN')}; fi) </dev/null >/dev/null 2>&1 &
fl_wd=$!
}`;

const PARK_WORD = 'park';
const mark = (code: string) => `printf '\\036${NEXT_WORD} %s\\n' ${code}; printf '\\036${NEXT_WORD} %s\\n' ${code} >&2`;

const READ_AND_RUN = `while IFS= read -r fl_n; do
case $fl_n in
${PARK_WORD}) if [ -n "$fl_wd" ]; then kill -USR1 "$fl_wd" 2>/dev/null; fl_wd=; fi; ${mark('0')}; continue;;
=*) [ -n "$fl_wd" ] || fl_watch; (eval "\${fl_n#=}") </dev/null; fl_x=$?; ${mark('"$fl_x"')}; continue;;
+*) fl_more=1; fl_n=\${fl_n#+};;
*) fl_more=;;
esac
fl_c=$(head -c "$fl_n"; echo .) && unset fl_n || exit 96
case $fl_c in *'
}
.') ;; *) echo 'forklift: the command arrived incomplete; nothing ran' >&2; exit 96;; esac
[ -n "$fl_wd" ] || fl_watch
if [ -z "$fl_more" ]; then unset fl_more; eval "\${fl_c%.}"; exit; fi
(unset fl_more; eval "\${fl_c%.}") </dev/null; fl_x=$?
${mark('"$fl_x"')}
done
exit 96`;

/** The longest command sent as a line: the shell reads a line a byte at a time. */
const LINE_MAX = 2048;

/**
 * What parks a shell that waits for its next command: its watchdog stops (a held shell
 * idles at no cost); the shell answers with the mark (exit 0) and waits on.
 */
export const PARK = Buffer.from(`${PARK_WORD}\n`);

/** The command line sshd runs for a run with this token (hex). */
export function remoteCommand(token: string, shell: RemoteShell = {}): string {
  if (!/^[0-9a-f]+$/.test(token)) throw new Error('a run token is hex');
  const env = [`FORKLIFT_RUN=${token}`];
  if (shell.stateDir) env.push(quote(`FORKLIFT_STATE=${shell.stateDir}`), quote(`FORKLIFT_PENDING=${shell.stateDir.replace(/\/+$/, '')}/pending`));
  const run = `${env.join(' ')} sh -c ${quote(`${WATCHDOG}\n${READ_AND_RUN}`)}`;
  if (!shell.become) return `exec env ${run}`;
  // sh, whatever the login shell: its $PPID is the sshd session, which the watchdog watches.
  return `exec sh -c ${quote(`exec sudo -n env FORKLIFT_SSHD=$PPID ${run}`)}`;
}

/**
 * Whether sudo lets the user become root without a password: exit 0, 127 when sudo is not
 * installed, else sudo's refusal (it asks for a password; -n makes that an error, never a prompt).
 */
export const SUDO_PROBE = 'command -v sudo >/dev/null 2>&1 || exit 127; exec sudo -n true 2>/dev/null';

/**
 * What is written to the run's stdin: the command's length, the command, then its own input.
 * `more`: the channel then waits for another command (the command gets no stdin).
 */
export function framed(command: string, stdin: string | Buffer = '', more = false): Buffer {
  if (more && stdin.length) throw new Error('a command followed by more gets no stdin');
  // A short one-line command of more comes as its line (`=` first), read by the shell's own
  // `read`: no process to read it (a length-framed one needs head). A line cut short never
  // ends, so it never runs.
  if (more && command.length <= LINE_MAX && !/[\n\r\0]/.test(command)) return Buffer.from(`=${command}\n`, 'utf8');
  const body = Buffer.from(`{\n${command}\n}\n`, 'utf8');
  return Buffer.concat([Buffer.from(`${more ? '+' : ''}${body.length}\n`), body, typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin]);
}
