// One error tree. A ForkliftError is a user-facing failure: the CLI prints its message
// on one line with no stack. Anything else is an internal error and prints its stack.

export class ForkliftError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
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
