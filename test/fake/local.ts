// Run a phase script on this host exactly as a node runs it (remote.ts's wrapper reading it
// from stdin), with the transport's feeding of streamed content (feed.ts): for unit tests
// of actions whose content is streamed, without SSH.
import { spawn } from 'node:child_process';
import type { ByteSource } from '../../src/shell/stream.ts';
import { Feeder } from '../../src/transport/feed.ts';
import { framed, remoteCommand } from '../../src/transport/remote.ts';

export interface LocalRun {
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Bytes the script asked for and was sent. */
  streamed: number;
}

export function runLocally(script: string, sources: ReadonlyMap<string, ByteSource> = new Map()): Promise<LocalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', remoteCommand('10ca1')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const feeder = new Feeder(child.stdin, sources);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      feeder.onStdout(d);
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) => {
      feeder.close();
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err), streamed: feeder.sent });
    });
    child.stdin.write(framed(script));
    // As over SSH with nothing to stream: stdin ends after the script.
    if (!sources.size) child.stdin.end();
  });
}
