// The SSH transport, counting each node's commands (round trips): what a no-op lift costs
// per node, counted at the seam rather than from the engine's own results.
import { sshTransport } from '../../src/transport/ssh.ts';
import type { Transport } from '../../src/transport/types.ts';

export function countingSsh(): { transport: Transport; execs: Map<string, number> } {
  const execs = new Map<string, number>();
  const transport: Transport = {
    name: 'counting-ssh',
    async connect(target, options) {
      const conn = await sshTransport.connect(target, options);
      const count = () => execs.set(target.name, (execs.get(target.name) ?? 0) + 1);
      return {
        ...(conn.hostKey !== undefined ? { hostKey: conn.hostKey } : {}),
        runScript: (script, o) => (count(), conn.runScript(script, o)),
        run: (command, o) => (count(), conn.run(command, o)),
        close: () => conn.close(),
      };
    },
  };
  return { transport, execs };
}
