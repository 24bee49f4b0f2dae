// The bootstrap phase: runs once per node (until the node is tagged bootstrapped).
// forklift's own part waits for cloud-init to finish and turns its failure into a node error.
import { execChecked } from '../actions/exec.ts';
import { plan, type Plan } from '../spec/plan.ts';
import { phasePlan } from '../spec/server.ts';
import type { StackNode } from './operation.ts';

const waitForCloudInit = execChecked(
  'wait for cloud-init',
  // A failure shows in the user data's own output and in cloud-init's status detail:
  // print the output's tail, then the status, so the error's last lines say what failed.
  'if ! cloud-init status --wait >/dev/null 2>&1; then tail -n 15 /var/log/cloud-init-output.log >&2 2>/dev/null || true; cloud-init status --long >&2 || true; exit 1; fi',
  { unless: '[ -e /etc/cloud/cloud-init.disabled ] || ! command -v cloud-init >/dev/null 2>&1' },
);

export function bootstrapPlan(node: StackNode): Plan {
  const userPlan = phasePlan(node.group, 'bootstrap');
  return plan(node.group.nodeSpec.userData !== undefined ? waitForCloudInit : undefined, userPlan);
}
