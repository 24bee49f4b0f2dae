// What `forklift init` writes: a stack of one group on the local provider, and the
// package.json and tsconfig.json that make it a TypeScript project your editor checks.

/** The TypeScript the project type-checks with (forklift's own; a unit test keeps them equal). */
export const TYPESCRIPT = '^7.0.2';

export const GROUP = 'app';

export function stackFile(stack: string): string {
  return `// A forklift stack: one group of Debian 12 nodes on this machine (the local provider:
// LXC containers; it needs root). Every action and crate: node_modules/forklift/docs/reference.md
//   npx forklift converge ${GROUP}=1   make one node of group ${GROUP}, bootstrap and configure it
//   npx forklift check           what running configure again would change
//   npx forklift nodes           the stack's nodes
//   npx forklift destroy         remove them
import { defineConfig, file, groupSpec, nodeSpec, packages, plan } from 'forklift';

const debian = nodeSpec({
  image: { osFamily: 'debian', osVersionMatches: '^12' },
  hardware: { minCores: 1, minRam: 512 },
  network: { inboundPorts: [22] },
});

export default defineConfig({
  stack: '${stack}',
  provider: { name: 'local' },
  groups: [
    groupSpec('${GROUP}', {
      nodeSpec: debian,
      phases: {
        configure: plan(
          packages('curl', 'ca-certificates'),
          // A plan function: called for each node, with the node and the stack around it.
          (ctx) => file('/etc/motd', { content: \`\${ctx.node.name}, group \${ctx.node.group} of stack \${ctx.stack}: configured by forklift\\n\`, mode: '0644' }),
        ),
      },
    }),
  ],
});
`;
}

export function packageJson(name: string, forklift: string): string {
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { typecheck: 'tsc --noEmit -p .' },
    dependencies: { forklift },
    devDependencies: { typescript: TYPESCRIPT },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function tsconfig(): string {
  const config = {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    include: ['*.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export const GITIGNORE = 'node_modules/\n';

/** A folder's name as a stack name: 1-24 lowercase letters, digits or dashes, starting with a letter. */
export function stackNameFor(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 24).replace(/-+$/, '');
  return name || 'app';
}
