// The node's side of a run, as fixed shell text: nothing of the command is in it (so none
// of it shows in the node's process list), only the run's token.
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
// outlives its connection, as a command on a terminal gets SIGHUP.
import { quote } from '../shell/sh.ts';

/** Kill (TERM) every process whose environment holds FORKLIFT_RUN=<token>; `token` is shell text. */
export function killRunScript(token: string): string {
  return `for e in /proc/[0-9]*/environ; do if grep -qzx "FORKLIFT_RUN=${token}" "$e" 2>/dev/null; then p=\${e#/proc/}; kill -TERM "\${p%/environ}" 2>/dev/null; fi; done; true`;
}

const WATCHDOG = `fl_ssh=$PPID
(trap '' TERM HUP; while [ -d "/proc/$fl_ssh" ] && [ -d "/proc/$$" ]; do sleep 1; done; if [ -d "/proc/$$" ]; then ${killRunScript('$FORKLIFT_RUN')}; fi) </dev/null >/dev/null 2>&1 &`;

const READ_AND_RUN = `IFS= read -r fl_n && fl_c=$(head -c "$fl_n"; echo .) && unset fl_n || exit 96
case $fl_c in *'
}
.') ;; *) echo 'forklift: the command arrived incomplete; nothing ran' >&2; exit 96;; esac
eval "\${fl_c%.}"`;

/** The command line sshd runs for a run with this token (hex). */
export function remoteCommand(token: string): string {
  if (!/^[0-9a-f]+$/.test(token)) throw new Error('a run token is hex');
  return `exec env FORKLIFT_RUN=${token} sh -c ${quote(`${WATCHDOG}\n${READ_AND_RUN}`)}`;
}

/** What is written to the run's stdin: the command's length, the command, then its own input. */
export function framed(command: string, stdin: string | Buffer = ''): Buffer {
  const body = Buffer.from(`{\n${command}\n}\n`, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`), body, typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin]);
}
