// The SSH transport, counting each node's commands (round trips) and the bytes streamed to
// it: what a run costs per node, counted at the seam rather than from the engine's results.
import { sshTransport } from '../../src/transport/ssh.ts';
import type { Transport } from '../../src/transport/types.ts';

export function countingSsh(): { transport: Transport; execs: Map<string, number>; streamed: () => number } {
  const execs = new Map<string, number>();
  let streamed = 0;
  const transport: Transport = {
    name: 'counting-ssh',
    async connect(target, options) {
      const conn = await sshTransport.connect(target, options);
      const count = () => execs.set(target.name, (execs.get(target.name) ?? 0) + 1);
      return {
        ...(conn.hostKey !== undefined ? { hostKey: conn.hostKey } : {}),
        runScript: async (script, o) => {
          count();
          const out = await conn.runScript(script, o);
          streamed += out.streamed ?? 0;
          return out;
        },
        run: (command, o) => (count(), conn.run(command, o)),
        close: () => conn.close(),
      };
    },
  };
  return { transport, execs, streamed: () => streamed };
}
