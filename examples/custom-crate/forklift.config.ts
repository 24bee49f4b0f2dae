// A stack that uses the custom crate in ./redis.ts.
//   npx forklift converge -f examples/custom-crate/forklift.config.ts cache=1
//   npx forklift exec -f examples/custom-crate/forklift.config.ts cache -- redis-cli ping
import { defineConfig, groupSpec, nodeSpec } from 'forklift';
import * as redis from './redis.ts';

export default defineConfig({
  stack: 'custom-crate',
  groups: [
    groupSpec('cache', {
      extends: redis.server({ maxMemory: '32mb' }),
      nodeSpec: nodeSpec({ image: { osFamily: 'debian', osVersionMatches: '^12' } }),
    }),
  ],
});
