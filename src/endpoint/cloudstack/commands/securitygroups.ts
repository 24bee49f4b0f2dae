// Security groups and their ingress rules (rules.ts: TCP/UDP port ranges, ICMP, ALL, from
// IPv4 CIDRs); rule changes are enforced at once on every local node whose VM is in the group.
import { randomUUID } from 'node:crypto';
import { ApiError, listResponse, required, type Ctx, type Handler } from '../api.ts';
import { matches } from '../filters.ts';
import type { Params } from '../../../providers/cloudstack/index.ts';
import { rulesFromParams, sameRule, vmIngress } from '../rules.ts';
import type { SecurityGroupRecord } from '../store.ts';
import { groupView } from '../views.ts';

export function findGroup(ctx: Ctx, p: Params): SecurityGroupRecord {
  const id = p.securitygroupid ?? p.id;
  const name = p.securitygroupname ?? p.name;
  const group = ctx.store.data.securityGroups.find((g) => (id ? g.id === id : g.name === name));
  if (!group) throw new ApiError(431, `Unable to find security group ${id ?? name ?? '(no id or name given)'}`);
  return group;
}

async function enforce(ctx: Ctx, group: SecurityGroupRecord): Promise<void> {
  for (const vm of ctx.store.data.vms) {
    // Destroyed VMs keep their (stopped) node: a recovered one accepts what its groups say now.
    if (vm.nodeId && vm.securitygroupids.includes(group.id) && vm.state !== 'Expunging') {
      await ctx.backend.setIngress(vm.id, vmIngress(ctx, vm));
    }
  }
}

export function ensureDefaultGroup(ctx: Ctx): SecurityGroupRecord {
  const existing = ctx.store.data.securityGroups.find((g) => g.name === 'default');
  if (existing) return existing;
  const group = { id: randomUUID(), name: 'default', description: 'Default Security Group', ingressrule: [] };
  ctx.store.update((d) => d.securityGroups.push(group));
  return group;
}

export const securityGroupCommands: Record<string, Handler> = {
  createSecurityGroup: (p, ctx) => {
    const name = required(p, 'name');
    if (ctx.store.data.securityGroups.some((g) => g.name === name)) {
      throw new ApiError(431, `Unable to create security group, a group with name ${name} already exists.`);
    }
    const group = { id: randomUUID(), name, description: p.description ?? name, ingressrule: [] };
    ctx.store.update((d) => d.securityGroups.push(group));
    return { securitygroup: groupView(ctx, group) };
  },
  deleteSecurityGroup: (p, ctx) => {
    const group = findGroup(ctx, p);
    if (ctx.store.data.vms.some((vm) => vm.securitygroupids.includes(group.id))) {
      throw new ApiError(431, `Unable to delete security group ${group.name}: it is in use by virtual machines`);
    }
    ctx.store.update((d) => {
      d.securityGroups = d.securityGroups.filter((g) => g.id !== group.id);
      d.tags = d.tags.filter((t) => t.resourceid !== group.id);
    });
    return { success: 'true' }; // a synchronous SuccessResponse: CloudStack writes it as a string
  },
  listSecurityGroups: (p, ctx) => {
    ensureDefaultGroup(ctx);
    const items = ctx.store.data.securityGroups.filter(
      (g) =>
        matches(p, { id: g.id, name: g.name, text: [g.description] }, { tags: ctx.store.data.tags }) &&
        (!p.securitygroupname || g.name === p.securitygroupname) &&
        (!p.virtualmachineid || ctx.store.data.vms.some((vm) => vm.id === p.virtualmachineid && vm.securitygroupids.includes(g.id))),
    );
    return listResponse('securitygroup', items.map((g) => groupView(ctx, g)), p);
  },
  authorizeSecurityGroupIngress: (p, ctx) => {
    const group = findGroup(ctx, p);
    const rules = rulesFromParams(p);
    for (const r of rules) {
      if (group.ingressrule.some((x) => sameRule(x, r))) {
        throw new ApiError(431, `Failed to authorize security group ingress rule(s): rule ${r.protocol} ${r.startport}-${r.endport} ${r.cidr} already exists`);
      }
    }
    const jobid = ctx.jobs.start('authorizeSecurityGroupIngress', { type: 'SecurityGroup', id: group.id }, async () => {
      ctx.store.update(() => group.ingressrule.push(...rules));
      await enforce(ctx, group);
      return { securitygroup: groupView(ctx, group) };
    });
    return { jobid };
  },
  revokeSecurityGroupIngress: (p, ctx) => {
    const ruleid = required(p, 'id');
    const group = ctx.store.data.securityGroups.find((g) => g.ingressrule.some((r) => r.ruleid === ruleid));
    if (!group) throw new ApiError(431, `Unable to find ingress rule ${ruleid}`);
    const jobid = ctx.jobs.start('revokeSecurityGroupIngress', { type: 'SecurityGroup', id: group.id }, async () => {
      ctx.store.update(() => (group.ingressrule = group.ingressrule.filter((r) => r.ruleid !== ruleid)));
      await enforce(ctx, group);
      return { success: true };
    });
    return { jobid };
  },
};
