// template: a file on the node rendered from a Liquid template in the operator's repo.
// The template is read and rendered when the action is constructed (strict: a missing
// variable or filter is one SpecError naming the action and the variable), so the
// action is a `file` with that content: the same check, atomic replace and `validate`.
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import type { Liquid } from 'liquidjs';
import { z } from 'zod';
import { SpecError } from '../errors.ts';
import { Secret, secret } from '../shell/sh.ts';
import { parseSpec, schemaOnce } from '../validate.ts';
import { fileAction, type FileArgs } from './file.ts';
import { localPath, localSource, readLocal, type LocalSource } from './local-file.ts';
import { ownershipSchema } from './ownership.ts';
import { action, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\//, 'must be an absolute path'), source: localSource }));

/** What a template may be given: JSON-like values; a `secret()` makes the whole file secret (shown as ***). */
export type TemplateValue = string | number | boolean | null | Secret | readonly TemplateValue[] | { readonly [key: string]: TemplateValue };
export type TemplateVars = { readonly [key: string]: TemplateValue };

const templateValue: z.ZodType<TemplateValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.instanceof(Secret), z.array(templateValue), z.record(z.string(), templateValue)], {
    error: 'not a template value (a string, number, boolean, null, secret(), array or plain object)',
  }),
);

const templateSchema = z
  .object({
    /** The template's variables. */
    vars: z.record(z.string(), templateValue).optional(),
    ...ownershipSchema,
    validate: z.string().includes('%s', { message: 'must contain %s for the new file' }).optional(),
  })
  .strict();

export type TemplateOptions = z.input<typeof templateSchema>;

/**
 * The file at `path` on the node, rendered from the Liquid template `source`: a `file:`
 * URL (`new URL('./nginx.conf.liquid', import.meta.url)`) or an absolute path.
 */
export function template(path: string, source: LocalSource, options: TemplateOptions = {}): Action<FileArgs> {
  const { path: p, source: src } = parseSpec(pathInput(), { path, source }, 'template');
  const where = `template ${p}`;
  const { vars = {}, ...file } = parseSpec(templateSchema, options, where);
  const from = localPath(src, where, 'source');
  const text = readLocal(from, where, 'source').toString('utf8');
  const { values, secret: isSecret } = reveal(vars);
  const rendered = render(text, from, values, where);
  return action(fileAction, where, { path: p, content: isSecret ? secret(rendered) : rendered, ...file });
}

/** liquidjs, loaded by the first template (~100 ms at start-up otherwise, for every command). */
let liquidjs: typeof import('liquidjs') | undefined;
const loadLiquid = () => (liquidjs ??= createRequire(import.meta.url)('liquidjs') as typeof import('liquidjs'));

function render(text: string, from: string, values: Record<string, unknown>, where: string): string {
  const { Liquid: Engine, LiquidError, UndefinedVariableError } = loadLiquid();
  // Includes resolve beside the template. No HTML escaping: these are config files.
  const liquid: Liquid = new Engine({ root: [dirname(from)], strictVariables: true, strictFilters: true, lenientIf: true, ownPropertyOnly: true, cache: false });
  try {
    return liquid.parseAndRenderSync(text, values);
  } catch (error) {
    if (error instanceof UndefinedVariableError) {
      const [line] = error.token.getPosition();
      throw new SpecError(where, `variable "${error.token.getText()}" is missing (${basename(error.token.file ?? from)}, line ${line})`);
    }
    if (error instanceof LiquidError) throw new SpecError(where, `${basename(error.token.file ?? from)}: ${error.message}`);
    throw error;
  }
}

/** The plain values a template renders with, and whether any of them was a secret. */
function reveal(vars: TemplateVars): { values: Record<string, unknown>; secret: boolean } {
  let found = false;
  const walk = (v: TemplateValue): unknown => {
    if (v instanceof Secret) {
      found = true;
      return v.value;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x as TemplateValue)]));
    return v;
  };
  const values = walk(vars) as Record<string, unknown>;
  return { values, secret: found };
}
