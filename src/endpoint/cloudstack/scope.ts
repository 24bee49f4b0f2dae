// Whose resources a request may name: the one account in the ROOT domain, and no projects.
// A request for another account, domain or a project is refused (431), as CloudStack refuses
// what it cannot find; `projectid=-1` ("every project's") lists nothing.
import type { Params } from '../../providers/cloudstack/index.ts';
import { ApiError } from './errors.ts';
import { ACCOUNT, DOMAIN } from './catalog.ts';

/** 'empty' when the answer is an empty list; throws when the request names what does not exist. */
export function checkScope(command: string, p: Params): 'empty' | undefined {
  if (p.domainid && p.domainid !== DOMAIN.id) throw new ApiError(431, `Unable to find domain by id ${p.domainid}`);
  if (p.account && p.account !== ACCOUNT.name) throw new ApiError(431, `Unable to find account ${p.account} in domain ${p.domainid ?? DOMAIN.id}`);
  if (p.projectid === '-1' && /^list/i.test(command)) return 'empty';
  if (p.projectid) throw new ApiError(431, `Unable to find project by id ${p.projectid}: this cloud has no projects`);
  return undefined;
}
