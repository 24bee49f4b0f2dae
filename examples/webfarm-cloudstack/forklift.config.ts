// The same web farm (examples/webfarm/specs.ts) on a CloudStack cloud. Credentials come from
// CLOUDSTACK_ENDPOINT, CLOUDSTACK_KEY and CLOUDSTACK_SECRET; the zone defaults to the first one.
//   npx forklift converge -f examples/webfarm-cloudstack/forklift.config.ts lb=1 web=4
// Offline, against the CloudStack-compatible endpoint backed by local nodes:
//   npx forklift cloudstack-endpoint --port 8080 &
//   set -a; . ~/.forklift/cloudstack-endpoint.json.env; set +a
import { defineConfig } from 'forklift';
import { webfarmGroups } from '../webfarm/specs.ts';

export default defineConfig({
  stack: 'webfarm-cs',
  provider: { name: 'cloudstack', ...(process.env.CLOUDSTACK_ZONE ? { zone: process.env.CLOUDSTACK_ZONE } : {}) },
  groups: webfarmGroups,
});
