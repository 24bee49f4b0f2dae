// One error tree. A ForkliftError is a user-facing failure: the CLI prints its message
// on one line with no stack. Anything else is an internal error and prints its stack.

const KINDS = Symbol.for('forklift.error.kinds');

export class ForkliftError extends Error {
  /**
   * `instanceof` by class name, so it also holds for errors made by another copy of
   * forklift in the same process (a stack file resolving its own 'forklift').
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const kinds = typeof value === 'object' && value !== null ? (value as { [KINDS]?: unknown })[KINDS] : undefined;
    return Array.isArray(kinds) && kinds.includes(this.name);
  }

  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) kinds.push((c as { name: string }).name);
    Object.defineProperty(this, KINDS, { value: kinds });
  }
}

/** The stack file could not be loaded or is invalid. */
export class ConfigError extends ForkliftError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`, 'CONFIG');
  }
}

/** A spec (node, server or group) is invalid; names the group and field path. */
export class SpecError extends ForkliftError {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`, 'SPEC');
  }
}

/** An action failed on a node. */
export class ActionError extends ForkliftError {
  constructor(
    readonly node: string,
    readonly action: string,
    readonly exitCode: number,
    readonly stderrTail: string,
  ) {
    super(
      `node ${node}: action "${action}" failed with exit code ${exitCode}` +
        (stderrTail ? `\n${indent(stderrTail)}` : ''),
      'ACTION',
    );
  }
}

/** The cloud or the local node machinery refused or failed. */
export class ProviderError extends ForkliftError {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super(`${provider}: ${message}`, 'PROVIDER');
  }
}

/** SSH to a node failed (connect, auth, host key, timeout). */
export class TransportError extends ForkliftError {
  constructor(
    readonly node: string,
    readonly host: string,
    message: string,
  ) {
    super(`node ${node} (${host}): ${message}`, 'TRANSPORT');
  }
}

/** The operation was cancelled (Ctrl-C or an AbortSignal). */
export class CancelledError extends ForkliftError {
  constructor(message = 'cancelled') {
    super(message, 'CANCELLED');
  }
}

export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** The last `lines` non-empty lines of a text, for error messages. */
export function tail(text: string, lines = 5): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
