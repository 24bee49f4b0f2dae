// One error tree. A ForkliftError is a user-facing failure: the CLI prints its message
// on one line with no stack. Anything else is an internal error and prints its stack.
// Errors stay structured until they are printed: `details` says where a failure happened
// (node, phase, action, exit code...) and `toJSON()` gives it, next to the text, to --json.
import { indent } from './text.ts';

const KINDS = Symbol.for('forklift.error.kinds');

/** Where a failure happened, as data. Every field is optional; each error sets what it knows. */
export interface ErrorDetails {
  node?: string;
  group?: string;
  phase?: string;
  action?: string;
  exitCode?: number;
  /** The last lines the failing command wrote to stderr (or stdout when stderr was empty). */
  stderrTail?: string;
  host?: string;
  port?: number;
  file?: string;
  provider?: string;
}

/** A failure as results carry it: the error's code and text, and where it happened. */
export interface Failure extends ErrorDetails {
  code: string;
  message: string;
}

export class ForkliftError extends Error {
  /**
   * `instanceof` by class name, so it also holds for errors made by another copy of
   * forklift in the same process (a stack file resolving its own 'forklift').
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const kinds = typeof value === 'object' && value !== null ? (value as { [KINDS]?: unknown })[KINDS] : undefined;
    return Array.isArray(kinds) && kinds.includes(this.name);
  }

  readonly details: ErrorDetails;

  constructor(
    message: string,
    readonly code: string,
    details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.details = details;
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) kinds.push((c as { name: string }).name);
    Object.defineProperty(this, KINDS, { value: kinds });
  }

  toJSON(): Failure {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** The stack file could not be loaded or is invalid; names the file (and the field). */
export class ConfigError extends ForkliftError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`, 'CONFIG', { file });
  }
}

/** A spec (node, server, group, action) is invalid; `where` names it, the message the field path. */
export class SpecError extends ForkliftError {
  constructor(
    readonly where: string,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(`${where}: ${message}`, 'SPEC', details);
  }
}

/** The command line is wrong (a count, a verb's arguments): exit code 2. */
export class UsageError extends ForkliftError {
  constructor(message: string) {
    super(message, 'USAGE');
  }
}

/** An action failed on a node. */
export class ActionError extends ForkliftError {
  constructor(failure: { node: string; phase: string; action: string; exitCode: number; stderrTail: string; group?: string }) {
    super(
      `node ${failure.node}: action "${failure.action}" failed with exit code ${failure.exitCode}` +
        (failure.stderrTail ? `\n${indent(failure.stderrTail)}` : ''),
      'ACTION',
      failure,
    );
  }
}

/** The cloud or the local node machinery refused or failed. */
export class ProviderError extends ForkliftError {
  constructor(
    readonly provider: string,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(`${provider}: ${message}`, 'PROVIDER', { provider, ...details });
  }
}

/** Reaching a node failed (connect, auth, host key, dropped connection); names node and host. */
export class TransportError extends ForkliftError {
  constructor(
    readonly node: string,
    readonly host: string,
    message: string,
    code = 'TRANSPORT',
    details: ErrorDetails = {},
  ) {
    super(`node ${node} (${details.port !== undefined ? `${host}:${details.port}` : host}): ${message}`, code, { node, host, ...details });
  }
}

/** The operation was cancelled (Ctrl-C or an AbortSignal). */
export class CancelledError extends ForkliftError {
  constructor(message = 'cancelled', details: ErrorDetails = {}) {
    super(message, 'CANCELLED', details);
  }
}

/** A failure that belongs to `node`, as results carry it: its message always names the node. */
export function nodeFailure(node: string, error: ForkliftError, details: ErrorDetails = {}): Failure {
  const own = error.details.node === node;
  return { ...error.toJSON(), ...details, node, message: own ? error.message : `node ${node}: ${error.message}` };
}
