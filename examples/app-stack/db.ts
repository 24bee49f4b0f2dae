// PostgreSQL from Debian on the db nodes: it listens on the node's address, lets in the
// app nodes of the stack (pg_hba from their addresses, computed at plan time), and holds
// the app's role, with a generated password, its database and a seeded table. The db
// group publishes all of it as settings; the app nodes read them with dbSettings.of(...).
import { z } from 'zod';
import { defineSettings, execChecked, packages, plan, secret, secretSchema, service, sh, template, type Cmd, type PlanContext, type Plan, type Secret } from 'forklift';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lowercase SQL identifier');

/** What the db publishes to the app nodes. */
export const dbSettings = defineSettings(
  z.object({
    port: z.number().int().min(1).max(65535).default(5432),
    database: identifier.default('app'),
    user: identifier.default('app'),
    password: secretSchema,
  }),
);

/** The settings a db group carries: the defaults, and a password made once and kept in the node's tags. */
export const dbGroupSettings = dbSettings.values((ctx) => ({ password: ctx.generatedSecret('db-password') }));

// Debian's PostgreSQL major version by Debian release, read from the node's facts.
const PG_VERSIONS: Record<string, string> = { '11': '11', '12': '15', '13': '17' };

function pgVersion(ctx: PlanContext): string {
  const { family, version } = ctx.node.facts.os;
  const pg = family === 'debian' ? PG_VERSIONS[version.split('.')[0] ?? ''] : undefined;
  if (pg === undefined) throw new Error(`node ${ctx.node.name}: no known PostgreSQL for ${family} ${version} (Debian 11-13 only)`);
  return pg;
}

/** A command as the postgres account, from a folder it may read (root's home is not). */
const asPostgres = (cmd: Cmd) => sh`env -C / runuser -u postgres -- ${cmd}`;
/** Run SQL (given on psql's stdin: a secret in it is never an argument) as postgres. */
const psql = (port: number, database: string, sql: string | Secret) =>
  sh`printf '%s\n' ${sql} | ${asPostgres(sh`psql -X -q -v ON_ERROR_STOP=1 -p ${port} -d ${database}`)}`;
const query = (port: number, database: string, sql: string) => asPostgres(sh`psql -X -tA -p ${port} -d ${database} -c ${sql}`);
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The rows the app shows; the db seeds them once, when the table is missing. */
export const SEED_ROWS = ['forklift', 'pallet', 'postgresql'];

/** The db nodes' configure phase. `clientRole`: the role of the nodes allowed to connect. */
export function dbPlan(clientRole: string): Plan {
  return plan(packages('postgresql'), (ctx) => {
    const s = dbSettings.of(ctx);
    const pg = pgVersion(ctx);
    const dir = `/etc/postgresql/${pg}/main`;
    const cluster = `postgresql@${pg}-main`;
    const owned = { owner: 'postgres', group: 'postgres', mode: '0640' } as const;
    const listen = template(`${dir}/conf.d/forklift.conf`, new URL('./templates/postgresql.conf.liquid', import.meta.url), {
      vars: { address: ctx.node.address, port: s.port },
      ...owned,
    });
    const clients = ctx
      .nodesWithRole(clientRole)
      .map((n) => ({ name: n.name, address: n.address }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)); // a stable file
    const hba = template(`${dir}/pg_hba.conf`, new URL('./templates/pg_hba.conf.liquid', import.meta.url), {
      vars: { database: s.database, user: s.user, clients },
      ...owned,
    });
    const login = sh`PGPASSWORD=${s.password} psql -X -w -h 127.0.0.1 -p ${s.port} -U ${s.user} -d postgres -tAc 'SELECT 1' >/dev/null 2>&1`;
    return [
      listen,
      hba,
      service('postgresql', { enabled: true, state: 'started' }),
      // A new address needs a restart; new clients only a reload.
      service(cluster, { state: 'restarted', onChangeOf: [listen] }),
      // Not service(..., 'reloaded'): that waits for the main process's children to be
      // replaced, and PostgreSQL's stay. A SIGHUP re-reads pg_hba.conf for new connections.
      execChecked(`reload ${cluster}`, sh`systemctl reload ${cluster}`, { onChangeOf: [hba] }),
      execChecked(
        `postgres role ${s.user}`,
        psql(
          s.port,
          'postgres',
          secret(
            `SELECT 'CREATE ROLE "${s.user}" LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${sqlString(s.user)}) \\gexec\n` +
              `ALTER ROLE "${s.user}" WITH LOGIN PASSWORD ${sqlString(s.password.value)};`,
          ),
        ),
        { unless: login },
      ),
      execChecked(`postgres database ${s.database}`, asPostgres(sh`createdb -p ${s.port} -O ${s.user} ${s.database}`), {
        unless: sh`[ "$(${query(s.port, 'postgres', `SELECT 1 FROM pg_database WHERE datname = ${sqlString(s.database)}`)})" = 1 ]`,
      }),
      execChecked(
        'seed table items',
        psql(
          s.port,
          s.database,
          `BEGIN;\nSET ROLE "${s.user}";\nCREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);\n` +
            `INSERT INTO items (name) VALUES ${SEED_ROWS.map((r) => `(${sqlString(r)})`).join(', ')};\nCOMMIT;`,
        ),
        { unless: sh`[ "$(${query(s.port, s.database, "SELECT to_regclass('public.items') IS NOT NULL")})" = t ]` },
      ),
    ];
  });
}
