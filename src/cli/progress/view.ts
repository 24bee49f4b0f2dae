// The progress view as a pure function of the events: `apply` turns an event (and the time
// it arrived) into the lines to print for good; `footer` is the live part a terminal
// redraws (what runs now, for how long); `heartbeat` is the plain mode's "still running"
// line. The same permanent lines are printed piped and on a terminal (there in colour).
import type { ForkliftEvent } from '../../engine/events.ts';
import type { NodeActionResult } from '../../engine/results.ts';
import { plural } from '../../text.ts';
import { duration, elapsed, fit, names, type Segment } from './format.ts';
import type { Paint } from './terminal.ts';

export interface ViewOptions {
  paint: Paint;
  /** A terminal: a provider's message stays a live line (with its elapsed time) until something else is printed. */
  live: boolean;
  /** -v: a line per node always, each node's script and each action's output. */
  verbose: boolean;
  /** Sections (a phase, creating or removing nodes) of more nodes than this get a summary, not a line per healthy node. */
  perNodeUpTo: number;
}

/** Above this many nodes in one phase, healthy nodes are summarized (failures are always named). */
export const PER_NODE_UP_TO = 20;
/** How many running nodes the live view and the heartbeat name, slowest first. */
const RUNNING_SHOWN = 5;
/** How many of the slowest nodes a summary names. */
const SLOWEST_SHOWN = 3;
/** Nodes quicker than this are not worth naming as slow. */
const SLOW_MS = 1000;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

type Kind = 'create' | 'remove' | 'phase';

interface Section {
  kind: Kind;
  /** The phase's name, or what is done to nodes. */
  title: string;
  total: number | undefined;
  since: number;
  /** Nodes at work, and since when. */
  running: Map<string, number>;
  ok: number;
  failed: string[];
  /** Nodes stopped by a cancel (Ctrl-C). */
  cancelled: number;
  changed: number;
  /** A dry run (check): actions report would-change. */
  dryRun: boolean;
  slowest: Array<{ name: string; ms: number }>;
  perNode: boolean;
}

/** Up to 8 names, else how many. */
const list = (names: readonly string[]) => (names.length > 8 ? plural(names.length, 'node') : names.join(', ') || 'no node');

export class ProgressView {
  private section: Section | undefined;
  private activity: { message: string; since: number } | undefined;
  private scaling: { create: number; remove: number } | undefined;
  /** Nodes that failed before a phase they would have run, by phase: counted in its summary. */
  private readonly unreached = new Map<string, string[]>();

  constructor(private readonly options: ViewOptions) {}

  /** The lines an event prints for good (none for most events of a large phase). */
  apply(event: ForkliftEvent, now: number): string[] {
    const p = this.options.paint;
    const out: string[] = [];
    switch (event.type) {
      case 'provider':
        if (!this.options.live) return [p.dim(`· ${event.message}`)];
        out.push(...this.flushActivity());
        this.activity = { message: event.message, since: now };
        return out;
      case 'scaling': {
        this.scaling = { create: event.create, remove: event.remove };
        const parts = [event.create && `${plural(event.create, 'node')} to create`, event.remove && `${event.create ? event.remove : plural(event.remove, 'node')} to remove`].filter(Boolean);
        if (parts.length) out.push(p.bold(`» ${parts.join(', ')}`));
        break;
      }
      case 'node-creating':
        this.open('create', 'creating nodes', this.scaling?.create, now, out).running.set(event.name, now);
        break;
      case 'node-created': {
        const s = this.done('create', 'creating nodes', event.name, now, out);
        s.ok++;
        if (s.perNode) out.push(`${p.green('+')} ${event.name} (${event.group}) ${event.address} ${p.dim(`in ${duration(event.ms)}`)}`);
        break;
      }
      case 'node-create-failed':
        this.done('create', 'creating nodes', event.name, now, out, false).failed.push(event.name);
        out.push(failure(p, `✗ ${event.error.message}`));
        break;
      case 'node-removing':
        this.open('remove', 'removing nodes', this.scaling?.remove, now, out).running.set(event.name, now);
        break;
      case 'node-removed': {
        const s = this.done('remove', 'removing nodes', event.name, now, out);
        s.ok++;
        if (s.perNode) out.push(`${p.yellow('-')} ${event.name} (${event.group || 'untagged'}) removed`);
        break;
      }
      case 'batch-start':
        out.push(...this.close(now));
        out.push(p.bold(`» batch ${event.batch} of ${event.batches}: ${list(event.nodes)}`));
        break;
      case 'drain':
      case 'restore':
        out.push(...this.close(now));
        out.push(p.bold(`» ${event.type === 'drain' ? 'taking' : 'putting'} ${list(event.nodes)} ${event.type === 'drain' ? 'out of' : 'back into'} ${list(event.readers)}`));
        break;
      case 'node-unreached':
        (this.unreached.get(event.phase) ?? this.unreached.set(event.phase, []).get(event.phase)!).push(event.node);
        out.push(failure(p, `✗ ${event.error.message}`));
        break;
      case 'phase-start': {
        out.push(...this.close(now));
        const unreached = this.unreached.get(event.phase) ?? [];
        this.unreached.delete(event.phase);
        const total = event.nodes.length + unreached.length;
        this.section = section('phase', event.phase, total, now, this.perNode(total));
        this.section.failed.push(...unreached);
        const left = unreached.length ? `; ${plural(unreached.length, 'node')} could not start it` : '';
        out.push(p.bold(p.cyan(`» ${event.phase} on ${plural(event.nodes.length, 'node')}${left}`)));
        break;
      }
      case 'node-phase-start':
        this.open('phase', event.phase, undefined, now, out).running.set(event.node, now);
        break;
      case 'node-script':
        if (this.options.verbose) out.push(p.dim(`  ┌ ${event.node}: ${event.phase} script`), ...event.script.replace(/\n$/, '').split('\n').map((l) => p.dim(`  │ ${l}`)), p.dim('  └'));
        break;
      case 'node-phase-done': {
        const s = this.done('phase', event.phase, event.node, now, out, event.ok);
        s.changed += event.changed;
        s.dryRun ||= event.actions?.some((a) => a.status === 'would-change') ?? false;
        if (event.ok) {
          s.ok++;
          if (s.perNode) out.push(`  ${p.green('✓')} ${event.node}: ${event.changed} ${s.dryRun ? 'would change' : 'changed'} ${p.dim(`in ${duration(event.ms)}`)}`);
        } else {
          // Stopped by Ctrl-C is not a failure of the node.
          if (event.error?.code === 'CANCELLED') s.cancelled++;
          else s.failed.push(event.node);
          // A node's failure always names the node (see nodeFailure).
          out.push(failure(p, `  ✗ ${event.error?.message ?? `node ${event.node}: failed`}`));
        }
        if (this.options.verbose) out.push(...actionLines(p, event.actions ?? []));
        break;
      }
      case 'phase-end':
        out.push(...this.close(now));
        break;
      case 'operation-end':
        return this.finish(now);
    }
    return out.length ? [...this.flushActivity(), ...out] : out;
  }

  /** Everything still open, printed for good: the operation is over (or the CLI exits). */
  finish(now: number): string[] {
    return [...this.flushActivity(), ...this.close(now)];
  }

  /** The live part of a terminal's screen: at most `rows` lines of at most `columns` characters. */
  footer(now: number, columns: number, rows: number): string[] {
    const p = this.options.paint;
    const width = columns - 1;
    const spin = SPINNER[Math.floor(now / 100) % SPINNER.length]!;
    const lines: string[] = [];
    const s = this.section;
    if (s) {
      const done = s.ok + s.failed.length + s.cancelled;
      const head: Segment[] = [[`${spin} `, 'cyan'], [s.title, 'bold'], ['  '], [s.total !== undefined ? `${done}/${s.total} done` : `${done} done`]];
      if (s.failed.length) head.push([' · '], [`${s.failed.length} failed`, 'red']);
      head.push([' · '], [`${s.running.size} running`], [' · '], [elapsed(now - s.since), 'dim']);
      lines.push(fit(head, width, p));
      const running = slowestRunning(s, now);
      // Within the screen's height: the head, the names, "… more", the provider's line.
      const shown = Math.min(RUNNING_SHOWN, running.length, Math.max(0, rows - 3 - (this.activity ? 1 : 0)));
      for (const [name, ms] of running.slice(0, shown)) lines.push(fit([['    '], [name], ['  '], [elapsed(ms), 'dim']], width, p));
      if (running.length > shown) lines.push(fit([[`    … ${running.length - shown} more running`, 'dim']], width, p));
    }
    // A provider's message (the base image build, host packages): within a section, whose
    // spinner and times show it alive, as it is; alone, with a spinner and its own time.
    if (this.activity && s) lines.push(fit([['  · ', 'dim'], [this.activity.message]], width, p));
    else if (this.activity) lines.push(fit([[`${spin} `, 'cyan'], [this.activity.message], ['  '], [elapsed(now - this.activity.since), 'dim']], width, p));
    return lines.slice(0, Math.max(1, rows - 1));
  }

  /** Plain mode's line for a section still running (printed every so often, so a long phase is seen alive). */
  heartbeat(now: number): string[] {
    const s = this.section;
    if (!s || s.running.size === 0) return [];
    const done = s.ok + s.failed.length + s.cancelled;
    const running = slowestRunning(s, now).map(([name, ms]) => `${name} ${elapsed(ms)}`);
    const failed = s.failed.length ? `, ${s.failed.length} failed` : '';
    return [this.options.paint.dim(`  … ${s.title}: ${s.total !== undefined ? `${done}/${s.total}` : done} done${failed}, ${s.running.size} running for ${elapsed(now - s.since)}: ${names(running, RUNNING_SHOWN)}`)];
  }

  private perNode(total: number | undefined): boolean {
    return this.options.verbose || total === undefined || total <= this.options.perNodeUpTo;
  }

  /** The open section of this kind, or a new one (closing another kind's). */
  private open(kind: Kind, title: string, total: number | undefined, now: number, out: string[]): Section {
    if (this.section?.kind === kind && this.section.title === title) return this.section;
    out.push(...this.close(now));
    this.section = section(kind, title, total, now, this.perNode(total));
    return this.section;
  }

  /** A node of the section is done (its section opened if no start was seen); the slowest healthy ones are kept. */
  private done(kind: Kind, title: string, name: string, now: number, out: string[], ok = true): Section {
    const s = this.open(kind, title, undefined, now, out);
    const since = s.running.get(name);
    s.running.delete(name);
    if (since !== undefined && ok) {
      s.slowest.push({ name, ms: now - since });
      s.slowest.sort((a, b) => b.ms - a.ms).splice(SLOWEST_SHOWN);
    }
    return s;
  }

  /** The summary line of the open section, if any. */
  private close(now: number): string[] {
    const s = this.section;
    this.section = undefined;
    if (!s) return [];
    const p = this.options.paint;
    const ms = now - s.since;
    // The slowest, when a line per node did not show them, and when they took a while.
    const slow = s.perNode ? [] : s.slowest.filter((n) => n.ms >= SLOW_MS);
    const slowest = slow.length ? p.dim(`; slowest: ${slow.map((n) => `${n.name} ${duration(n.ms)}`).join(', ')}`) : '';
    const failed = (s.failed.length ? `, ${p.red(`${s.failed.length} failed`)} (${names(s.failed)})` : '') + (s.cancelled ? `, ${s.cancelled} cancelled` : '');
    if (s.kind === 'phase') {
      const total = s.total ?? s.ok + s.failed.length + s.cancelled;
      const changed = plural(s.changed, `${s.dryRun ? 'action would change' : 'changed action'}`, s.dryRun ? 'actions would change' : 'changed actions');
      // ✗ too when nodes did not finish (the operation ended in the middle of the phase).
      const mark = s.ok < total ? p.red('✗') : p.green('✓');
      const count = s.ok < total ? `${s.ok} of ${plural(total, 'node')} ok` : plural(total, 'node');
      return [`${mark} ${p.bold(s.title)}: ${count} in ${duration(ms)}, ${changed}${failed}${slowest}`];
    }
    // Creating and removing: one line per node is enough below the threshold, unless one failed.
    if (s.perNode && !s.failed.length) return [];
    const verb = s.kind === 'create' ? 'created' : 'removed';
    const mark = s.failed.length ? p.red('✗') : s.kind === 'create' ? p.green('+') : p.yellow('-');
    return [`${mark} ${plural(s.ok, 'node')} ${verb} in ${duration(ms)}${failed}${slowest}`];
  }

  private flushActivity(): string[] {
    if (!this.activity) return [];
    const line = this.options.paint.dim(`· ${this.activity.message}`);
    this.activity = undefined;
    return [line];
  }
}

function section(kind: Kind, title: string, total: number | undefined, now: number, perNode: boolean): Section {
  return { kind, title, total, since: now, running: new Map(), ok: 0, failed: [], cancelled: 0, changed: 0, dryRun: false, slowest: [], perNode };
}

/** Running nodes, longest-running first, with how long each has run. */
function slowestRunning(s: Section, now: number): Array<[string, number]> {
  return [...s.running].map(([name, since]): [string, number] => [name, now - since]).sort((a, b) => b[1] - a[1]);
}

/** A failure: its first line in red, the rest (stderr's last lines) as they are. */
function failure(p: Paint, text: string): string {
  const [first, ...rest] = text.split('\n');
  return [p.red(first!), ...rest].join('\n');
}

/** -v: each action of a node's phase with its status, then what it printed. */
function actionLines(p: Paint, actions: readonly NodeActionResult[]): string[] {
  const style = { changed: p.yellow, 'would-change': p.yellow, ok: p.green, failed: p.red, skipped: p.dim } as const;
  return actions.flatMap((a) => {
    const output = [a.stdout, a.stderr].filter((t) => t.trim()).flatMap((t) => t.replace(/\n$/, '').split('\n'));
    return [`      ${(style[a.status] ?? ((s: string) => s))(a.status.padEnd(12))} ${a.name}`, ...output.map((l) => p.dim(`        │ ${l}`))];
  });
}
