// `forklift sessions`: ask a running daemon for its status, or to stop. Neither starts one.
import { ForkliftError } from '../../errors.ts';
import { dial } from './start.ts';
import type { SessionsPaths } from './paths.ts';
import { encode, FRAME, FrameReader, json, type DaemonStatus } from './protocol.ts';

async function ask<T>(paths: SessionsPaths, type: number): Promise<T | undefined> {
  let socket;
  try {
    socket = await dial(paths);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    throw new ForkliftError(`kept sessions: ${(error as Error).message}`, 'SESSIONS');
  }
  const reader = new FrameReader();
  return new Promise<T | undefined>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.type !== FRAME.statusReply) continue;
        socket.destroy();
        resolve(json<T>(f));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(undefined));
    socket.write(encode(type, 0));
  });
}

/** The running daemon's status, or undefined when none runs. */
export function daemonStatus(paths: SessionsPaths): Promise<DaemonStatus | undefined> {
  return ask<DaemonStatus>(paths, FRAME.status);
}

/** Ask the running daemon to stop; whether one was running. */
export async function stopDaemon(paths: SessionsPaths): Promise<boolean> {
  return (await ask<{ stopping: boolean }>(paths, FRAME.stop)) !== undefined;
}
