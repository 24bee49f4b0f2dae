// One security group per group, forklift-<stack>.<group>, brought to exactly the node spec's
// inbound TCP ports (open to 0.0.0.0/0); rules not in the spec are revoked. The dot cannot
// appear in stack or group names, so distinct (stack, group) pairs never share a group
// (stack "a" with group "b-web" and stack "a-b" with group "web" did, under the earlier
// forklift-<stack>-<group>, and each converge revoked the other's rules). VMs made before
// keep the group they were deployed with; forklift no longer changes its rules.
import type { CloudStackClient } from './client.ts';

interface Rule {
  ruleid: string;
  protocol: string;
  startport?: number;
  endport?: number;
  cidr?: string;
}

interface Group {
  id: string;
  name: string;
  ingressrule?: Rule[];
}

export function securityGroupName(stack: string, group: string): string {
  return `forklift-${stack}.${group}`;
}

export async function ensureSecurityGroup(client: CloudStackClient, stack: string, group: string, ports: number[]): Promise<string> {
  const name = securityGroupName(stack, group);
  const find = async () => (await client.list<Group>('listSecurityGroups', { securitygroupname: name })).find((g) => g.name === name);
  let sg = await find();
  if (!sg) {
    try {
      await client.call('createSecurityGroup', { name, description: `forklift stack ${stack}, group ${group}` });
    } catch (err) {
      // Lost answer or a concurrent creator: use the group if it now exists.
      if (!(await find())) throw err;
    }
    sg = await find();
    if (!sg) throw new Error(`security group ${name} vanished after creation`);
  }
  const wanted = new Set(ports);
  const rules = sg.ingressrule ?? [];
  const keep = (r: Rule) =>
    r.protocol.toLowerCase() === 'tcp' && r.startport === r.endport && wanted.has(r.startport!) && (r.cidr ?? '0.0.0.0/0') === '0.0.0.0/0';
  for (const rule of rules.filter((r) => !keep(r))) await client.job('revokeSecurityGroupIngress', { id: rule.ruleid }, { idempotent: true });
  const have = new Set(rules.filter(keep).map((r) => r.startport));
  const missing = [...wanted].filter((p) => !have.has(p)).sort((a, b) => a - b);
  for (const port of missing) {
    await client.job('authorizeSecurityGroupIngress', {
      securitygroupid: sg.id,
      protocol: 'TCP',
      startport: String(port),
      endport: String(port),
      cidrlist: '0.0.0.0/0',
    });
  }
  return name;
}
