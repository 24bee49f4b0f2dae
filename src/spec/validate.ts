// The single place where zod issues become SpecErrors that name the spec and field path.
import type { z } from 'zod';
import { SpecError } from '../errors.ts';

export function parseSpec<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new SpecError(where, issues.join('; '));
}
