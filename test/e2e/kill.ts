// SIGKILL the CLI at a moment forklift cannot know in advance: when its progress output
// (stderr) reaches a line, when something appears or disappears on the host, or when a
// given API request passes a proxy. For the interruption suites (interrupt*.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BIN } from './helpers.ts';

export interface KilledRun {
  pid: number;
  /** What the trigger saw when it killed (undefined: the command ended on its own first). */
  at?: string;
  code: number | null;
  stderr: string;
}

/** Arms a kill: call `kill(what)` at the moment; return a function that disarms (stops watching). */
export type Trigger = (child: ChildProcess, kill: (what: string) => void) => (() => void) | void;

/** `forklift ARGS` in `cwd`, SIGKILLed when `trigger` fires. */
export function runUntilKilled(args: string[], cwd: string, trigger: Trigger, env: NodeJS.ProcessEnv = {}): Promise<KilledRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let at: string | undefined;
    child.stderr!.on('data', (d) => (stderr += d));
    const disarm = trigger(child, (what) => {
      if (at !== undefined) return;
      at = what;
      child.kill('SIGKILL');
    });
    child.on('close', (code) => {
      disarm?.();
      done({ pid: child.pid!, ...(at !== undefined ? { at } : {}), code, stderr });
    });
  });
}

/** When the `nth` stderr line matching `pattern` is printed. */
export function onStderrLine(pattern: RegExp, nth = 1): Trigger {
  return (child, kill) => {
    let seen = 0;
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (pattern.test(line) && ++seen === nth) kill(`stderr: ${line}`);
    });
  };
}

/** When an entry whose name passes `accept` appears in `dir`. */
export function onNewEntry(dir: string, accept: (name: string) => boolean): Trigger {
  return (_child, kill) => {
    const w = watch(dir, (_event, name) => {
      if (name && accept(name) && existsSync(join(dir, name))) kill(`${join(dir, name)} appeared`);
    });
    return () => w.close();
  };
}

/** When the first file is removed from one of `dirs` (a node's directory being destroyed). */
export function onRemovalIn(dirs: readonly string[]): Trigger {
  return (_child, kill) => {
    const watchers: FSWatcher[] = dirs.map((dir) => {
      const w = watch(dir, (event, name) => {
        // A tags write renames its .tmp file into place: not a removal.
        if (event === 'rename' && name && !name.endsWith('.tmp') && !existsSync(join(dir, name))) kill(`${join(dir, name)} removed`);
      });
      w.on('error', () => {}); // the directory itself went
      return w;
    });
    return () => watchers.forEach((w) => w.close());
  };
}

/** Names appearing in `dir` that pass `accept`, recorded until stop() (and those there at the start). */
export function recordEntries(dir: string, accept: (name: string) => boolean, initial: readonly string[]): { seen: Set<string>; stop(): void } {
  const seen = new Set(initial.filter(accept));
  const w = watch(dir, (_event, name) => {
    if (name && accept(name)) seen.add(name);
  });
  return { seen, stop: () => w.close() };
}

/** Whether an API request is cut before it reaches the cloud, or after the cloud answered (the answer is lost). */
export type Cut = 'before' | 'after';
type Hook = (command: string, params: URLSearchParams) => { cut: Cut | 'hold'; fire(): void; until?: Promise<void> } | undefined;

/** An HTTP proxy in front of a CloudStack endpoint that can kill the CLI at a given request. */
export interface ApiProxy {
  readonly url: string;
  /** A trigger: when a request matching `match` passes, cut it and kill. */
  on(match: (command: string, params: URLSearchParams) => boolean, cut: Cut): Trigger;
  /** Forward the first request matching `match`, and hold its answer until `release()` (the caller waits on it). */
  hold(match: (command: string, params: URLSearchParams) => boolean): { held: Promise<string>; release(): void };
  /** Calls `seen` for every request (then forwards it). */
  watch(seen: (command: string, params: URLSearchParams) => void): () => void;
  close(): Promise<void>;
}

export async function apiProxy(target: string): Promise<ApiProxy> {
  const upstream = new URL(target);
  let hook: Hook | undefined;
  const watchers = new Set<(command: string, params: URLSearchParams) => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', upstream);
      const params = new URLSearchParams(url.search);
      if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
      const command = params.get('command') ?? '';
      watchers.forEach((w) => w(command, params));
      const action = hook?.(command, params);
      if (action?.cut === 'before') {
        action.fire();
        return req.socket.destroy();
      }
      const forward = http.request(url, { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          if (action?.cut === 'after') {
            action.fire();
            return req.socket.destroy();
          }
          const deliver = () => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(parts));
          };
          if (action?.cut === 'hold') {
            action.fire();
            void action.until!.then(deliver);
          } else deliver();
        });
      });
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    on: (match, cut) => (_child, kill) => {
      hook = (command, params) => (match(command, params) ? { cut, fire: () => kill(`${cut} ${command}`) } : undefined);
      return () => (hook = undefined);
    },
    hold(match) {
      let release!: () => void;
      const until = new Promise<void>((r) => (release = r));
      let held!: (command: string) => void;
      const seen = new Promise<string>((r) => (held = r));
      let done = false;
      hook = (command, params) => {
        if (done || !match(command, params)) return undefined;
        done = true;
        return { cut: 'hold', until, fire: () => held(command) };
      };
      return { held: seen, release: () => { hook = undefined; release(); } };
    },
    watch(seen) {
      watchers.add(seen);
      return () => watchers.delete(seen);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
