// The bootstrap phase: runs once per node (until the node is tagged bootstrapped).
// forklift's own part waits for cloud-init to finish and turns its failure into a node error.
import { execChecked } from '../actions/exec.ts';
import { plan, type Plan } from '../spec/plan.ts';
import { phasePlan } from '../spec/server.ts';
import type { StackNode } from './operation.ts';

const waitForCloudInit = execChecked(
  'wait for cloud-init',
  // runcmd failures only show in the status detail and result.json; print both.
  'if ! cloud-init status --wait >/dev/null 2>&1; then cloud-init status --long >&2 || true; cat /run/cloud-init/result.json >&2 2>/dev/null || true; exit 1; fi',
  { unless: '[ -e /etc/cloud/cloud-init.disabled ] || ! command -v cloud-init >/dev/null 2>&1' },
);

export function bootstrapPlan(node: StackNode): Plan {
  const userPlan = phasePlan(node.group, 'bootstrap');
  return plan(node.group.nodeSpec.userData !== undefined ? waitForCloudInit : undefined, userPlan);
}
