// What the shell offers at <TAB>: from the words typed so far, the verbs, a verb's flags,
// and what a verb's arguments name in the stack file (groups, phases, nodes). Pure apart
// from what `stack` reads, so it is tested without a shell.
import type { Command, Option } from 'commander';

export interface Candidate {
  value: string;
  /** Shown by zsh beside the value. */
  description?: string;
}

/** What completion may read of the stack file named on the command line (-f), loaded on demand. */
export interface StackFacts {
  groups(file: string): Promise<Array<{ name: string; phases: string[] }>>;
  nodes(file: string): Promise<Array<{ name: string; group: string }>>;
}

/** Complete with file names (the shell's own completion). */
export const FILES: Candidate = { value: ':files' };

const DEFAULT_FILE = 'forklift.config.ts';

/**
 * `words`: what follows `forklift` on the line up to the cursor, the word being completed
 * last (empty after a space). bash splits `web=1` at `=` (COMP_WORDBREAKS), so a lone `=`
 * joins its neighbours.
 */
export async function candidates(root: Command, typed: readonly string[], stack: StackFacts): Promise<Candidate[]> {
  const words = joinEquals(typed);
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const verbIndex = before.findIndex((w) => !w.startsWith('-'));
  const visible = root.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  if (verbIndex < 0) {
    if (current.startsWith('-')) return flags(root);
    return [...visible.map((c) => ({ value: c.name(), description: c.description() })), { value: 'help', description: 'show the options and examples of a verb' }];
  }
  const verb = before[verbIndex]!;
  const cmd = visible.find((c) => c.name() === verb || c.aliases().includes(verb));
  const args = before.slice(verbIndex + 1);
  if (verb === 'help') return args.length ? [] : visible.map((c) => ({ value: c.name(), description: c.description() }));
  if (!cmd) return [];
  if (args.includes('--')) return []; // a command for the nodes (exec, ssh): the shell's business
  const file = stackFile(args);
  const previous = args.at(-1);
  const valued = previous?.startsWith('-') ? findOption(cmd, previous) : undefined;
  if (valued && (valued.required || valued.optional)) {
    if (valued.long === '--file') return [FILES];
    if (valued.long === '--phase') return (await phasesOf(stack, file)).map((phase) => ({ value: phase, description: 'phase' }));
    if (valued.long === '--limit') return (await nodesOf(stack, file)).map((n) => ({ value: n.name, description: `node of ${n.group}` }));
    return [];
  }
  if (current.startsWith('-')) return flags(cmd, root);
  const positionals = positionalArgs(cmd, args);
  switch (verb) {
    case 'plan':
    case 'converge': {
      const given = new Set(positionals.map((w) => w.split('=')[0]));
      return (await groupsOf(stack, file)).filter((g) => !given.has(g)).map((g) => ({ value: `${g}=`, description: 'group: its count' }));
    }
    case 'lift':
    case 'check':
    case 'destroy': {
      const given = new Set(positionals);
      return (await groupsOf(stack, file)).filter((g) => !given.has(g)).map((g) => ({ value: g, description: 'group' }));
    }
    case 'exec':
      return positionals.length ? [{ value: '--', description: 'then the command' }] : (await groupsOf(stack, file)).map((g) => ({ value: g, description: 'group' }));
    case 'ssh':
      return positionals.length ? [{ value: '--', description: 'then a command' }] : (await nodesOf(stack, file)).map((n) => ({ value: n.name, description: `node of ${n.group}` }));
    case 'completion':
      return positionals.length ? [] : [{ value: 'bash' }, { value: 'zsh' }];
    case 'init':
      return positionals.length ? [] : [FILES];
    default:
      return [];
  }
}

function joinEquals(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '=' && out.length) {
      out[out.length - 1] += `=${words[i + 1] ?? ''}`;
      i++;
    } else out.push(words[i]!);
  }
  return out;
}

/** A verb's flags and the global ones (a verb takes no --version); the root's own without a verb. */
function flags(cmd: Command, root?: Command): Candidate[] {
  const global = root ? root.options.filter((o) => o.long !== '--version') : [];
  const options = [...cmd.options, ...global].filter((o) => !o.hidden && o.long);
  return [...options.map((o) => ({ value: o.long!, description: o.description })), { value: '--help', description: 'show the options and examples' }];
}

function findOption(cmd: Command, word: string): Option | undefined {
  const flag = word.split('=')[0];
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

/** The arguments that are not options or option values. */
function positionalArgs(cmd: Command, args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (!w.startsWith('-')) out.push(w);
    else if (!w.includes('=')) {
      const o = findOption(cmd, w);
      if (o?.required || (o?.optional && args[i + 1] && !args[i + 1]!.startsWith('-'))) i++;
    }
  }
  return out;
}

function stackFile(args: readonly string[]): string {
  for (let i = args.length - 1; i >= 0; i--) {
    const w = args[i]!;
    if (w.startsWith('--file=')) return w.slice('--file='.length);
    if ((w === '-f' || w === '--file') && args[i + 1] !== undefined) return args[i + 1]!;
  }
  return DEFAULT_FILE;
}

const quietly = async <T>(read: () => Promise<T[]>): Promise<T[]> => read().catch(() => []);
const groupsOf = async (stack: StackFacts, file: string) => (await quietly(() => stack.groups(file))).map((g) => g.name);
const phasesOf = async (stack: StackFacts, file: string) => [...new Set((await quietly(() => stack.groups(file))).flatMap((g) => g.phases))].filter((p) => p !== 'bootstrap');
const nodesOf = (stack: StackFacts, file: string) => quietly(() => stack.nodes(file));
