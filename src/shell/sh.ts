// Shell commands as values: every interpolated value is quoted by construction.
// A Cmd keeps two renderings: `text` runs on the node, `shown` is what logs, plans,
// --json and errors may print (secrets masked as ***).

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX single-quote a string so that `sh` reads it back byte for byte. */
export function quote(value: string): string {
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

// Brands make `instanceof` hold across two copies of forklift in one process.
const CMD = Symbol.for('forklift.Cmd');
const SECRET = Symbol.for('forklift.Secret');
const branded = (value: unknown, brand: symbol) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;

export class Cmd {
  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, CMD);
  }
  get [CMD](): true {
    return true;
  }
  constructor(
    readonly text: string,
    readonly shown: string = text,
  ) {}
  toString(): string {
    return this.shown;
  }
  /** --json and JSON logs see what may be shown, never the script text. */
  toJSON(): string {
    return this.shown;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Cmd(${this.shown})`;
  }
}

/** A value that must never be shown: it renders into the script but shows as ***. */
export class Secret {
  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, SECRET);
  }
  get [SECRET](): true {
    return true;
  }
  constructor(readonly value: string) {}
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret(***)';
  }
}

export function secret(value: string): Secret {
  return new Secret(value);
}

/** Shell text that is NOT quoted. The only escape hatch; use it for fixed script text. */
export function raw(text: string): Cmd {
  return new Cmd(text);
}

export type ShValue = string | number | boolean | Cmd | Secret | readonly ShValue[];

function render(value: ShValue): Cmd {
  if (value instanceof Cmd) return value;
  if (value instanceof Secret) return new Cmd(quote(value.value), '***');
  if (Array.isArray(value)) return join(value.map(render), ' ');
  return new Cmd(quote(String(value)));
}

/** Tagged template: `sh\`rm -f ${path}\`` quotes `path`; an array becomes several arguments. */
export function sh(strings: TemplateStringsArray, ...values: ShValue[]): Cmd {
  let text = strings[0] ?? '';
  let shown = text;
  values.forEach((value, i) => {
    const part = render(value);
    const literal = strings[i + 1] ?? '';
    text += part.text + literal;
    shown += part.shown + literal;
  });
  return new Cmd(text, shown);
}

export function join(parts: readonly Cmd[], separator: string): Cmd {
  return new Cmd(parts.map((p) => p.text).join(separator), parts.map((p) => p.shown).join(separator));
}

/** Join commands into one script body, one per line. */
export function lines(...parts: Array<Cmd | undefined | false>): Cmd {
  return join(
    parts.filter((p): p is Cmd => p instanceof Cmd),
    '\n',
  );
}
