// Examples shown by `forklift help VERB` (and VERB --help), as `git help` and `terraform
// -help` show them: the common forms first, each with what it does.
export const EXAMPLES: Record<string, Array<[command: string, what: string]>> = {
  init: [
    ['forklift init', 'a stack of one group, app, in this folder (forklift.config.ts, package.json, tsconfig.json)'],
    ['forklift init web --stack shop', 'the same in the folder web, with the stack named shop'],
    ['forklift init --no-install', 'write the files only; run npm install yourself'],
  ],
  converge: [
    ['forklift converge app=1', 'one node in group app: created, bootstrapped, configured'],
    ['forklift converge lb=1 web=4', 'each group to its count; surplus nodes are removed'],
    ['forklift converge web=0', 'remove every node of group web'],
    ['forklift converge -f stacks/prod.ts web=2', 'a stack file other than ./forklift.config.ts'],
    ['forklift converge web=2 --phase configure deploy', 'run deploy after configure'],
    ['forklift converge -v web=1', 'show each node\'s script and what every action printed'],
    ['forklift converge --plan lb=1 web=6', 'only show the plan (as forklift plan lb=1 web=6)'],
    ['forklift converge --plan plan.json', 'apply a saved plan exactly; refused if a node changed since'],
  ],
  plan: [
    ['forklift plan', 'what lift would change on the whole stack, with diffs; changes nothing'],
    ['forklift plan lb=1 web=6', 'what converge lb=1 web=6 would create, remove and change'],
    ['forklift plan --detailed-exitcode', 'in CI: exit 0 no changes, 2 changes, 1 an error'],
    ['forklift plan web=6 --out plan.json', 'save it; forklift converge --plan plan.json applies exactly it'],
    ['forklift plan --show-scripts', 'print the exact script each node would get (secrets as ***)'],
  ],
  lift: [
    ['forklift lift', 'run configure on every node of the stack again'],
    ['forklift lift web', 'only the nodes of group web'],
    ['forklift lift --phase deploy', 'run the phase deploy instead'],
    ['forklift lift -q --json', 'no progress; the result as JSON'],
    ['forklift lift --diff', 'also show a diff of every file it changed'],
  ],
  check: [
    ['forklift check', 'what lift would change on every node, changing nothing'],
    ['forklift check web --phase deploy', 'the same for one group and one phase'],
    ['forklift check --detailed-exitcode', 'exit 2 when something would change (0 none, 1 an error)'],
  ],
  nodes: [
    ['forklift nodes', 'the stack\'s nodes as their tags describe them'],
    ['forklift nodes --json', 'as JSON, tags included'],
  ],
  exec: [
    ['forklift exec web -- uptime', 'run uptime on every node of group web, output prefixed by node'],
    ['forklift exec web --timeout 30 -- apt-get update', 'stop a node\'s command after 30 s'],
    ['forklift exec web --json -- cat /etc/hostname', 'exit code, stdout and stderr per node as JSON'],
  ],
  ssh: [
    ['forklift ssh web-1a2b', 'a shell on the node web-1a2b (names: forklift nodes)'],
    ['forklift ssh web-1a2b -- journalctl -u nginx -n 20', 'run one command there'],
  ],
  destroy: [
    ['forklift destroy', 'list every node of the stack, ask, then remove them'],
    ['forklift destroy web', 'the same for the nodes of group web only'],
    ['forklift destroy --yes', 'remove without asking (scripts, CI: needed without a terminal)'],
  ],
  unlock: [['forklift unlock', 'remove the stack lock left by a run that died elsewhere (CloudStack)']],
  sessions: [
    ['forklift sessions', 'the daemon keeping SSH sessions between runs, and its connections'],
    ['forklift sessions stop', 'close them and stop the daemon'],
    ['FORKLIFT_SESSIONS=off forklift lift', 'connect directly for this run (no daemon)'],
  ],
  completion: [
    ['source <(forklift completion bash)', 'completion in this bash; add the line to ~/.bashrc to keep it'],
    ['forklift completion zsh > "${fpath[1]}/_forklift"', 'install it for zsh (then start a new shell)'],
  ],
  'cloudstack-endpoint': [
    ['forklift cloudstack-endpoint --port 8080 --data-file /tmp/cs.json', 'a CloudStack API on localhost:8080 whose VMs are local nodes'],
  ],
};

/** The text `help VERB` shows after the options. */
export function examplesText(verb: string): string {
  const list = EXAMPLES[verb];
  if (!list?.length) return '';
  const width = Math.max(...list.map(([c]) => c.length));
  return `\nExamples:\n${list.map(([c, what]) => `  ${c.padEnd(width)}   # ${what}`).join('\n')}\n`;
}
