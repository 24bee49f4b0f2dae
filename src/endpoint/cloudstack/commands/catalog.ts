// Zones, templates, OS types, service and disk offerings.
import { ApiError, listResponse, required, type Handler } from '../api.ts';
import { DISK_OFFERINGS, OS_TYPE, SERVICE_OFFERINGS, TEMPLATES, ZONE } from '../catalog.ts';
import { matches } from '../filters.ts';

const TEMPLATE_FILTERS = ['featured', 'self', 'selfexecutable', 'sharedexecutable', 'executable', 'community', 'all'];

export const catalogCommands: Record<string, Handler> = {
  listZones: (p) => {
    const ok = matches(p, { id: ZONE.id, name: ZONE.name, text: [ZONE.description] }) && (!p.networktype || p.networktype.toLowerCase() === 'basic');
    return listResponse('zone', ok ? [ZONE] : [], p);
  },
  listTemplates: (p) => {
    const filter = required(p, 'templatefilter');
    if (!TEMPLATE_FILTERS.includes(filter)) throw new ApiError(431, `templatefilter ${filter} is not valid: one of ${TEMPLATE_FILTERS.join(', ')}`);
    // The templates are the system's: none is the caller's own (self, selfexecutable).
    if (filter === 'self' || filter === 'selfexecutable') return {};
    const items = TEMPLATES.filter(
      (t) =>
        matches(p, { id: t.id, name: t.name, text: [t.displaytext] }) &&
        (!p.zoneid || t.zoneid === p.zoneid) &&
        (!p.hypervisor || t.hypervisor.toLowerCase() === p.hypervisor.toLowerCase()),
    );
    return listResponse('template', items, p);
  },
  listOsTypes: (p) => {
    const ok =
      matches({ ...p, name: '' }, { id: OS_TYPE.id, name: OS_TYPE.description }) &&
      (!p.description || p.description === OS_TYPE.description) &&
      (!p.oscategoryid || p.oscategoryid === OS_TYPE.oscategoryid);
    return listResponse('ostype', ok ? [OS_TYPE] : [], p);
  },
  listServiceOfferings: (p) => {
    const items = SERVICE_OFFERINGS.filter((o) => matches(p, { id: o.id, name: o.name, text: [o.displaytext] }) && (!p.issystem || p.issystem === 'false'));
    return listResponse('serviceoffering', items, p);
  },
  listDiskOfferings: (p) => listResponse('diskoffering', DISK_OFFERINGS.filter((o) => matches(p, { id: o.id, name: o.name, text: [o.displaytext] })), p),
};
