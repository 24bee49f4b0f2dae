// The one place where zod issues become messages: `path: message` per issue, joined on
// one line. parseSpec turns them into a SpecError naming the spec; the stack loader into
// a ConfigError naming the file. Every layer validates its input here, once, at its edge.
import type { z } from 'zod';
import { SpecError } from './errors.ts';

type Issue = z.core.$ZodIssue;

/** `a.b.0: message; c: message` for zod issues; `prefix` is prepended to every path. */
export function describeIssues(issues: readonly Issue[], prefix: ReadonlyArray<PropertyKey> = []): string {
  return issues.map((issue) => describeIssue(issue, prefix)).join('; ');
}

function describeIssue(issue: Issue, prefix: ReadonlyArray<PropertyKey>): string {
  const path = [...prefix, ...issue.path].map(String).join('.');
  // An unknown key is named as a field of its own, so the line points at the typo.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: unknown field`).join('; ');
  }
  if (issue.code === 'invalid_union' && issue.errors.length) {
    // The branch that got furthest says most about what was meant.
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
    if (depth(best) > 0) return describeIssues(best, [...prefix, ...issue.path]);
  }
  return `${path || '(root)'}: ${issue.message}`;
}

const depth = (issues: readonly Issue[]) => Math.max(0, ...issues.map((i) => i.path.length));

/** A missing field says so ("required"), rather than "expected string, received undefined". */
const messages = { error: (issue: { code: string; input?: unknown }) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined) };

/** zod's safeParse with forklift's messages. */
export function check<S extends z.ZodType>(schema: S, input: unknown): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(input, messages);
}

/** Validate constructor input; a failure is a SpecError naming `where` and the field paths. */
export function parseSpec<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = check(schema, input);
  if (result.success) return result.data;
  throw new SpecError(where, describeIssues(result.error.issues));
}

/**
 * A schema built on first use and kept. zod compiles a schema when it first parses with it,
 * so a schema built inside a function that runs per node is compiled again on every call.
 */
export function schemaOnce<S extends z.ZodType>(build: () => S): () => S {
  let schema: S | undefined;
  return () => (schema ??= build());
}
