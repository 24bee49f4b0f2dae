// The talk's web farm: haproxy in front of nginx nodes, on real local Debian nodes.
//   npx forklift converge -f examples/webfarm/forklift.config.ts lb=1 web=4
import { defineConfig } from 'forklift';
import { webfarmGroups } from './specs.ts';

export default defineConfig({
  stack: 'webfarm',
  provider: { name: 'local' },
  groups: webfarmGroups,
});
