// Node spec → what to deploy: zone, template, service offering, disk. Pure functions; when
// nothing fits, the error lists what the cloud offers.
import { ProviderError } from '../../errors.ts';
import type { NodeSpec } from '../../spec/node.ts';

export interface Zone { id: string; name: string }
export interface Template { id: string; name: string; displaytext?: string; ostypename?: string; size?: number; isready?: boolean; isfeatured?: boolean }
export interface ServiceOffering { id: string; name: string; cpunumber: number; memory: number; iscustomized?: boolean }
export interface DiskOffering { id: string; name: string; disksize: number; iscustomized?: boolean }

export interface Deployment {
  zone: Zone;
  template: Template;
  offering: ServiceOffering;
  /** Set when the template's root disk is smaller than minDisk. */
  diskOffering?: DiskOffering;
  /** Image facts for the forklift-image tag, e.g. "debian-12". */
  image: string;
}

const fail = (message: string) => new ProviderError('cloudstack', message);

export function chooseZone(zones: Zone[], wanted: string | undefined): Zone {
  const zone = wanted ? zones.find((z) => z.name === wanted || z.id === wanted) : zones[0];
  if (!zone) throw fail(`zone: no zone ${wanted ? `named ${wanted}` : 'at all'}; the cloud offers: ${zones.map((z) => z.name).join(', ') || 'none'}`);
  return zone;
}

/** The OS version in a template's names, e.g. "12" or "22.04". */
export function templateVersion(t: Template): string {
  return /\d+(?:\.\d+)*/.exec(`${t.ostypename ?? ''} ${t.name} ${t.displaytext ?? ''}`)?.[0] ?? '';
}

export function templateFamily(t: Template): string {
  return (t.ostypename ?? t.name).trim().split(/[\s/]+/)[0]!.toLowerCase();
}

export function chooseTemplate(templates: Template[], spec: NodeSpec): Template {
  const image = spec.image ?? {};
  const describe = () => templates.map((t) => `${t.name} [${t.id}]`).join(', ') || 'none';
  if (image.imageId) {
    const t = templates.find((x) => x.id === image.imageId);
    if (!t) throw fail(`no template with id ${image.imageId}; the cloud offers: ${describe()}`);
    return t;
  }
  const family = image.osFamily?.toLowerCase();
  const version = image.osVersionMatches ? new RegExp(image.osVersionMatches) : undefined;
  const matches = templates.filter((t) => {
    const text = `${t.ostypename ?? ''} ${t.name} ${t.displaytext ?? ''}`.toLowerCase();
    return t.isready !== false && (!family || text.includes(family)) && (!version || version.test(templateVersion(t)));
  });
  const wanted = [image.osFamily, image.osVersionMatches && `version ~ /${image.osVersionMatches}/`].filter(Boolean).join(' ');
  if (!matches.length) throw fail(`no template matches ${wanted || 'the image spec'}; the cloud offers: ${describe()}`);
  return matches.sort((a, b) => compareVersions(templateVersion(b), templateVersion(a)) || Number(!!b.isfeatured) - Number(!!a.isfeatured))[0]!;
}

export function chooseOffering(offerings: ServiceOffering[], spec: NodeSpec): ServiceOffering {
  const { minCores = 1, minRam = 0 } = spec.hardware ?? {};
  const fits = offerings
    .filter((o) => !o.iscustomized && o.cpunumber >= minCores && o.memory >= minRam)
    .sort((a, b) => a.memory - b.memory || a.cpunumber - b.cpunumber);
  if (!fits[0]) {
    const offered = offerings.map((o) => `${o.name} (${o.cpunumber} cores, ${o.memory} MiB)`).join(', ') || 'none';
    throw fail(`no service offering has ${minCores} cores and ${minRam} MiB; the cloud offers: ${offered}`);
  }
  return fits[0];
}

export function chooseDisk(template: Template, disks: DiskOffering[], spec: NodeSpec): DiskOffering | undefined {
  const minDisk = spec.hardware?.minDisk;
  if (!minDisk || (template.size ?? 0) >= minDisk * 1024 ** 3) return undefined;
  const fit = disks.filter((d) => !d.iscustomized && d.disksize >= minDisk).sort((a, b) => a.disksize - b.disksize)[0];
  if (!fit) {
    const offered = disks.map((d) => `${d.name} (${d.disksize} GB)`).join(', ') || 'none';
    throw fail(`no disk of ${minDisk} GB: template ${template.name} has ${Math.round((template.size ?? 0) / 1024 ** 3)} GB and the disk offerings are: ${offered}`);
  }
  return fit;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
