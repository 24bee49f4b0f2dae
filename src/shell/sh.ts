// Shell commands as values: every interpolated value is quoted by construction.
// A Cmd keeps two renderings: `text` runs on the node, `shown` is what logs, plans,
// --json and errors may print (secrets masked as ***), and the secret values it was built
// from, so that what the node prints back can be masked too.

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
    /** The values of the secrets in `text` (never shown; for masking the node's output). */
    readonly secrets: readonly string[] = [],
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
  if (value instanceof Secret) return new Cmd(quote(value.value), '***', [value.value]);
  if (Array.isArray(value)) return join(value.map(render), ' ');
  return new Cmd(quote(String(value)));
}

/** Tagged template: `sh\`rm -f ${path}\`` quotes `path`; an array becomes several arguments. */
export function sh(strings: TemplateStringsArray, ...values: ShValue[]): Cmd {
  let text = strings[0] ?? '';
  let shown = text;
  const secrets: string[] = [];
  values.forEach((value, i) => {
    const part = render(value);
    const literal = strings[i + 1] ?? '';
    text += part.text + literal;
    shown += part.shown + literal;
    secrets.push(...part.secrets);
  });
  return new Cmd(text, shown, unique(secrets));
}

export function join(parts: readonly Cmd[], separator: string): Cmd {
  return new Cmd(parts.map((p) => p.text).join(separator), parts.map((p) => p.shown).join(separator), unique(parts.flatMap((p) => p.secrets)));
}

const unique = (values: readonly string[]) => (values.length ? [...new Set(values)] : values);

/**
 * `text` with every secret value shown as ***: the value itself, its quoted form (as a
 * shell trace prints it) and each longer line of a multi-line value (a key, a certificate).
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  if (!text || !secrets.length) return text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    forms.add(s).add(quote(s));
    for (const line of s.split('\n')) if (line.trim().length >= 8) forms.add(line);
  }
  // Longest first, so that a value is masked whole before any of its lines.
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join('***');
  return out;
}

/** Join commands into one script body, one per line. */
export function lines(...parts: Array<Cmd | undefined | false>): Cmd {
  return join(
    parts.filter((p): p is Cmd => p instanceof Cmd),
    '\n',
  );
}
