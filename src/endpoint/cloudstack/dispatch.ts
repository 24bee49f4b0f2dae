// One request → one answer: method and URL checked, body bounded (body.ts), parameters
// read, faults, signature (auth.ts), scope (scope.ts), then the command. Never throws:
// whatever a client sends, it gets an HTTP error and the endpoint goes on serving. The answer
// is JSON or XML as the request's `response` asks (xml.ts).
import type { IncomingMessage } from 'node:http';
import type { Params } from '../../providers/cloudstack/index.ts';
import { ApiError, type Ctx, type Handler } from './api.ts';
import { refusal, type AuthPolicy } from './auth.ts';
import { MAX_BODY_BYTES, readBody } from './body.ts';
import { checkScope } from './scope.ts';
import { formatOf, type Format } from './xml.ts';

export interface Answer {
  status: number;
  /** `{<command>response: ...}` */
  body: Record<string, unknown>;
  format: Format;
  headers?: Record<string, string>;
  /** Close the connection without answering (the "drop" fault, or a client that left). */
  drop?: boolean;
  /** Close the connection after answering (a body left unread). */
  close?: boolean;
}

export async function answer(ctx: Ctx, commands: ReadonlyMap<string, [string, Handler]>, policy: AuthPolicy, req: IncomingMessage): Promise<Answer> {
  try {
    return await answerRequest(ctx, commands, policy, req);
  } catch (err) {
    ctx.log(`internal error: ${err instanceof Error ? err.stack : String(err)}`);
    return errorAnswer('', new ApiError(530, 'Internal error'), { close: true, format: 'json' });
  }
}

async function answerRequest(ctx: Ctx, commands: ReadonlyMap<string, [string, Handler]>, policy: AuthPolicy, req: IncomingMessage): Promise<Answer> {
  let url: URL | undefined;
  try {
    url = new URL(req.url ?? '/', 'http://endpoint');
  } catch {
    url = undefined;
  }
  // Before the parameters are read, the query string alone says how to answer.
  const early = formatOf(url?.searchParams.get('response') ?? undefined);
  if (req.method !== 'GET' && req.method !== 'POST') {
    return errorAnswer('', new ApiError(405, `Method ${req.method} is not allowed: use GET or POST`), { headers: { allow: 'GET, POST' }, close: true, format: early });
  }
  if (!url) return errorAnswer('', new ApiError(400, 'Malformed request URL'), { close: true, format: early });
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.kind === 'gone') return { status: 400, body: {}, format: early, drop: true };
  if (body.kind === 'too-large') {
    return errorAnswer('', new ApiError(413, `Request body is larger than ${MAX_BODY_BYTES} bytes`), { close: true, format: early });
  }
  const raw: Params = Object.create(null);
  for (const [k, v] of url.searchParams) raw[k] = v;
  if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body.text)) raw[k] = v;
  // Parameter names are case-insensitive for commands; the signature uses them as sent.
  const p: Params = Object.create(null);
  for (const [k, v] of Object.entries(raw)) p[k.toLowerCase()] = v;
  const command = p.command ?? '';
  const format = formatOf(p.response);
  const fault = ctx.faults.onRequest();
  if (fault.rateLimit) return errorAnswer(command, new ApiError(429, 'You have exceeded the request rate limit, try again later', 4990), { format });
  const why = refusal(raw, p, policy);
  if (why) {
    ctx.log(`401 ${command || '(no command)'}: ${why}`);
    return errorAnswer(command, new ApiError(401, 'unable to verify user credentials and/or request signature', 0), { format });
  }
  const entry = commands.get(command.toLowerCase());
  if (!entry) {
    return errorAnswer(command, new ApiError(432, `The given command ${command || '(none)'} does not exist or it is not available for user (the commands this endpoint supports are listed in its README)`, 9999), { format });
  }
  const envelope = `${command.toLowerCase()}response`;
  try {
    const result = checkScope(command, p) === 'empty' ? {} : await entry[1](p, ctx);
    return { status: 200, body: { [envelope]: result }, format, drop: fault.drop };
  } catch (err) {
    if (err instanceof ApiError) return { ...errorAnswer(command, err, { format }), drop: fault.drop };
    ctx.log(`${entry[0]}: internal error: ${err instanceof Error ? err.stack : String(err)}`);
    return { ...errorAnswer(command, new ApiError(530, `Internal error executing command ${entry[0]}`), { format }), drop: fault.drop };
  }
}

/** CloudStack's error envelope: `<command>response` ({errorresponse} without a command). */
function errorAnswer(command: string, e: ApiError, extra: Partial<Answer> & { format: Format }): Answer {
  const envelope = `${command ? command.toLowerCase() : 'error'}response`;
  return {
    status: e.errorcode,
    body: { [envelope]: { uuidList: [], errorcode: e.errorcode, cserrorcode: e.cserrorcode, errortext: e.message } },
    ...extra,
  };
}
