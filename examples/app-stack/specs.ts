// The app stack, provider-free: haproxy in front of the app nodes, which read PostgreSQL
// on the db node. examples/app-stack/forklift.config.ts puts it on local nodes.
import { groupSpec, haproxy, nodeSpec, nodesWithRole, packages, plan, serverSpec, type GroupSpec } from 'forklift';
import { appPlan, appSettings } from './app.ts';
import { dbGroupSettings, dbPlan } from './db.ts';

const node = (...ports: number[]) =>
  nodeSpec({
    image: { osFamily: 'debian', osVersionMatches: '^12' },
    hardware: { minCores: 1, minRam: 512, minDisk: 10 },
    network: { inboundPorts: [22, ...ports] },
  });

const base = serverSpec({ phases: { configure: plan(packages('curl', 'ca-certificates')) } });

export interface AppStackOptions {
  /** The app's git repository, as the nodes reach it. */
  repo: string;
  /** Its branch, tag or commit (default main). */
  ref?: string;
  /** The port the app serves on, behind haproxy (default 8000). */
  appPort?: number;
}

export function appStackGroups({ repo, ref = 'main', appPort = 8000 }: AppStackOptions): GroupSpec[] {
  return [
    groupSpec('db', { roles: ['db'], extends: base, settings: dbGroupSettings, phases: { configure: dbPlan('app') }, nodeSpec: node(5432) }),
    groupSpec('app', {
      roles: ['app'],
      extends: base,
      settings: appSettings.values({ repo, ref, port: appPort }),
      phases: { configure: appPlan('db') },
      nodeSpec: node(appPort),
    }),
    groupSpec('lb', { roles: ['lb'], extends: [base, haproxy.server('app', { servers: nodesWithRole('app'), port: appPort })], nodeSpec: node(80) }),
  ];
}
