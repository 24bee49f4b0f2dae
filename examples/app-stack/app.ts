// The web application on the app nodes: checked out with gitCheckout from the app's
// repository (examples/app-stack/app/ is its code), run by systemd as its own account,
// configured from a template with the db node's address and password (mode 0640, owned
// by root, group app: the app reads it, nobody else), restarted when its code or its
// configuration changed.
import { z } from 'zod';
import { defineSettings, directory, gitCheckout, packages, plan, service, systemdUnit, template, user, type Plan } from 'forklift';
import { dbSettings } from './db.ts';

/** Where the app's code comes from, and the port it serves on. */
export const appSettings = defineSettings(
  z.object({
    repo: z.string().min(1),
    /** A branch (each lift checks out its newest commit), a tag or a commit id. */
    ref: z.string().default('main'),
    port: z.number().int().min(1).max(65535).default(8000),
  }),
);

export const APP_USER = 'app';
export const CHECKOUT = '/srv/app';
export const CONFIG = '/etc/app/app.conf';

const unit = `# Written by forklift (examples/app-stack).
[Unit]
Description=app stack web application
After=network-online.target
Wants=network-online.target

[Service]
User=${APP_USER}
Group=${APP_USER}
ExecStart=/usr/bin/python3 ${CHECKOUT}/app.py ${CONFIG}
Restart=on-failure
RestartSec=1
NoNewPrivileges=yes

[Install]
WantedBy=multi-user.target
`;

/** The app nodes' configure phase. `dbRole`: the role of the node holding the database. */
export function appPlan(dbRole: string): Plan {
  return plan(packages('git', 'python3', 'python3-psycopg2'), user(APP_USER, { system: true, home: `/var/lib/${APP_USER}`, shell: '/usr/sbin/nologin' }), (ctx) => {
    const app = appSettings.of(ctx);
    const dbNode = ctx.nodesWithRole(dbRole)[0];
    if (dbNode === undefined) throw new Error(`the stack has no node with role ${dbRole}: converge db=1 too`);
    const db = dbSettings.of(dbNode);
    const conf = template(CONFIG, new URL('./templates/app.conf.liquid', import.meta.url), {
      vars: {
        node: ctx.node.name,
        listen: ctx.node.address,
        port: app.port,
        db: { host: dbNode.address, port: db.port, name: db.database, user: db.user, password: db.password },
      },
      owner: 'root',
      group: APP_USER,
      mode: '0640',
    });
    const code = gitCheckout(CHECKOUT, { repo: app.repo, ref: app.ref, owner: APP_USER, force: true });
    return [
      directory('/etc/app', { owner: 'root', group: APP_USER, mode: '0750' }),
      conf,
      code,
      systemdUnit('app.service', { content: unit }),
      service('app', { state: 'restarted', onChangeOf: [conf, code] }),
    ];
  });
}
