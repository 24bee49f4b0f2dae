// Run host commands for the local provider: argv arrays only (no shell), stderr kept for errors.
import { spawn } from 'node:child_process';
import { ProviderError } from '../../errors.ts';
import { tail } from '../../text.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** Resolve with the exit code instead of throwing when the command fails. */
  allowFail?: boolean;
  signal?: AbortSignal;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${PATH}:${process.env.PATH ?? ''}`, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
      signal: opts.signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new ProviderError('local', `${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code === 0 || opts.allowFail) resolve(result);
      else
        reject(
          new ProviderError(
            'local',
            `${[cmd, ...args].join(' ')} exited with ${result.code}: ${tail(stderr || stdout, 5)}`,
          ),
        );
    });
    if (child.stdin) {
      child.stdin.on('error', () => {}); // a command that exits without reading its input
      child.stdin.end(opts.input);
    }
  });
}

/** True when the command exits 0. */
export async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  return (await run(cmd, args, { allowFail: true })).code === 0;
}
