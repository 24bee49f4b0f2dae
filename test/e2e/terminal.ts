// A real terminal for tests: tmux on a server of this test process's own (its own socket,
// removed by name when the file ends), driven with send-keys and read with capture-pane,
// as a person watching the screen would read it. And a pty that records the raw bytes
// (util-linux script), for what a terminal is sent.
import { spawn, spawnSync } from 'node:child_process';
import { after } from 'node:test';
import { ensureDebianPackage } from './helpers.ts';

const SOCKET = `fl-test-${process.pid}`;
let started = false;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}

after(() => {
  if (started) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

export interface Terminal {
  /** Run a shell command line in the terminal; resolves with its exit code when it ends. */
  run(command: string, timeoutMs?: number): Promise<number>;
  /** The screen (and its scrollback) as shown; with `colours`, the SGR escapes too. */
  screen(colours?: boolean): string;
  /** Type keys (tmux key names: Tab, Enter, C-u). */
  keys(...keys: string[]): void;
  /** The line the cursor is on, up to the cursor. */
  toCursor(): string;
}

/** A new terminal of `width` × `height` running `shell` in `cwd`; the environment is this process's, less CI (a terminal is not CI). */
export function terminal(name: string, cwd: string, { width = 120, height = 40, shell = 'bash --norc --noprofile', env = {} as Record<string, string> } = {}): Terminal {
  ensureDebianPackage('tmux', () => spawnSync('tmux', ['-V']).status === 0);
  const vars = Object.entries({ ...env, PS1: '$ ' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // tmux gives a new session the server's environment, which it took from the first client: drop CI from it.
  tmux('new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), '-c', cwd, ...vars, `env -u CI ${shell}`);
  started = true;
  tmux('set-option', '-t', name, 'history-limit', '10000');
  let runs = 0;
  return {
    run(command, timeoutMs = 10 * 60_000) {
      const channel = `${name}-${++runs}`;
      return new Promise((done, fail) => {
        // wait-for blocks until the command's line signals it: no polling.
        const waiting = spawn('tmux', ['-L', SOCKET, 'wait-for', channel]);
        const timer = setTimeout(() => {
          waiting.kill();
          fail(new Error(`timed out after ${timeoutMs} ms: ${command}\n${this.screen()}`));
        }, timeoutMs);
        waiting.on('exit', () => {
          clearTimeout(timer);
          const code = /__exit=(\d+)__/.exec(this.screen().split('\n').reverse().find((l) => /__exit=\d+__/.test(l)) ?? '');
          done(code ? Number(code[1]) : -1);
        });
        tmux('send-keys', '-t', name, `clear; tmux -L ${SOCKET} clear-history -t ${name}; ${command}; echo __exit=$?__; tmux -L ${SOCKET} wait-for -S ${channel}`, 'Enter');
      });
    },
    screen(colours = false) {
      return tmux('capture-pane', '-p', '-J', '-t', name, '-S', '-', '-E', '-', ...(colours ? ['-e'] : []));
    },
    keys(...keys) {
      tmux('send-keys', '-t', name, ...keys);
    },
    toCursor() {
      const [x, y] = tmux('display-message', '-p', '-t', name, '#{cursor_x} #{cursor_y}').trim().split(' ').map(Number);
      const visible = tmux('capture-pane', '-p', '-N', '-t', name).split('\n');
      return [...(visible[y!] ?? '')].slice(0, x).join('');
    },
  };
}

/** Run `command` on a pty (util-linux script) and return every byte the terminal was sent. */
export function onPty(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; bytes: string }> {
  return new Promise((done) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = '';
    child.stdout.on('data', (d) => (bytes += d));
    child.on('close', (code) => done({ code: code ?? 1, bytes }));
  });
}
