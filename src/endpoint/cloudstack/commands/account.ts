// Who the caller is and what the cloud can do: listCapabilities, listAccounts (the one
// account, with its VM counts), listDomains (ROOT). The account is a user, not an admin.
import { listResponse, type Handler } from '../api.ts';
import { ACCOUNT, CLOUDSTACK_VERSION, DOMAIN, USER } from '../catalog.ts';
import { matches } from '../filters.ts';
import { GONE } from '../lifecycle.ts';

export const accountCommands: Record<string, Handler> = {
  listCapabilities: () => ({
    capability: {
      cloudstackversion: CLOUDSTACK_VERSION,
      securitygroupsenabled: true,
      userpublictemplateenabled: false,
      supportELB: 'false',
      projectinviterequired: false,
      allowusercreateprojects: false,
      customdiskofferingminsize: 1,
      customdiskofferingmaxsize: 1024,
      regionsecondaryenabled: false,
      kvmsnapshotenabled: false,
      dynamicrolesenabled: false,
      allowuserviewdestroyedvm: true,
      allowuserexpungerecovervm: true,
      allowuserviewalldomainaccounts: false,
      kubernetesserviceenabled: false,
      kubernetesclusterexperimentalfeaturesenabled: false,
      defaultuipagesize: 20,
      apilimitinterval: 1,
      apilimitmax: 0,
    },
  }),
  listAccounts: (p, ctx) => {
    if (p.accounttype !== undefined && p.accounttype !== String(ACCOUNT.accounttype)) return {};
    const vms = ctx.store.data.vms.filter((vm) => !GONE.includes(vm.state));
    const account = {
      ...ACCOUNT,
      domainid: DOMAIN.id,
      domain: DOMAIN.name,
      domainpath: DOMAIN.path,
      state: 'enabled',
      isdefault: false,
      vmtotal: vms.length,
      vmrunning: vms.filter((vm) => vm.state === 'Running').length,
      vmstopped: vms.filter((vm) => vm.state === 'Stopped').length,
      vmlimit: 'Unlimited',
      vmavailable: 'Unlimited',
      user: [{ ...USER, account: ACCOUNT.name, accountid: ACCOUNT.id, accounttype: ACCOUNT.accounttype, roletype: ACCOUNT.roletype, domainid: DOMAIN.id, domain: DOMAIN.name, state: 'enabled', isdefault: false }],
    };
    const ok = matches(p, account) && (!p.state || p.state.toLowerCase() === account.state);
    return listResponse('account', ok ? [account] : [], p);
  },
  listDomains: (p) => {
    if (p.level !== undefined && p.level !== String(DOMAIN.level)) return {};
    return listResponse('domain', matches(p, DOMAIN) ? [DOMAIN] : [], p);
  },
};
