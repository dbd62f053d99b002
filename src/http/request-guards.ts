import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { errorBody } from '../shared/error-body';
import { markFormBody } from '../shared/form-body';
import { assignRequestId } from '../shared/request-id';
import { hasRoute } from './route-table';

/** First middleware: every response, even a body-parser error, carries a request id. */
export function requestIdMiddleware(
  req: Request & { id?: string },
  res: Response,
  next: NextFunction,
): void {
  req.id = assignRequestId(req, res);
  next();
}

const BODY_ERRORS: Record<string, string> = {
  'entity.too.large': 'Request body too large',
  'entity.parse.failed': 'Malformed request body',
  'entity.verify.failed': 'Malformed request body',
  'encoding.unsupported': 'Unsupported content encoding',
  'charset.unsupported': 'Unsupported charset',
  'request.aborted': 'Request aborted',
  'request.size.invalid': 'Request size did not match Content-Length',
  'stream.encoding.set': 'Malformed request body',
  'parameters.too.many': 'Too many form parameters',
  'querystring.parse.rangeError': 'Form body nested too deeply',
};

/**
 * Answers body-parser failures (and any other exposed 4xx http-error) in the common error shape. It runs right after the parsers, so
 * a JSON.parse message (which quotes the body, and so phone numbers or text) never reaches a client.
 * Codes: a body that is not JSON → MALFORMED_JSON, any other unreadable body → MALFORMED_BODY;
 * 413 and 415 keep their status's default (PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE).
 */
export function bodyParserErrorHandler(
  err: unknown,
  req: Request & { id?: string },
  res: Response,
  next: NextFunction,
): void {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown };
  const known = typeof e?.type === 'string' && e.type in BODY_ERRORS;
  if (
    typeof e?.status !== 'number' ||
    e.status < 400 ||
    e.status > 499 ||
    !(known || e.expose === true)
  ) {
    return next(err);
  }
  // Our verify hook phrases its message for clients; JSON.parse's quotes the body.
  const message =
    e.type === 'entity.verify.failed' && err instanceof Error
      ? err.message
      : e.type === 'entity.parse.failed' && isJson(req)
        ? 'Malformed JSON body'
        : (known && BODY_ERRORS[e.type as string]) ||
          (e.status === 400 ? 'Unreadable request body' : STATUS_CODES[e.status]) ||
          'Bad request';
  const code =
    e.status !== 400
      ? undefined
      : e.type === 'entity.parse.failed' && isJson(req)
        ? 'MALFORMED_JSON'
        : 'MALFORMED_BODY';
  res.status(e.status).json(errorBody(e.status, message, { code, requestId: req.id ?? '' }));
}

function isJson(req: Request): boolean {
  return mediaTypeOf(req) === 'application/json';
}

/** The Content-Type's media type, lower-cased and without parameters; undefined when absent. */
function mediaTypeOf(req: Request): string | undefined {
  const header = req.headers['content-type'];
  return header === undefined ? undefined : header.split(';')[0].trim().toLowerCase();
}

/** The only request bodies this service reads (every POST route, client or webhook). */
export const ACCEPTED_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * 415 for a body that is neither JSON nor form-urlencoded (text/plain, XML, multipart…), before
 * anything reads it, on every route that takes one; a path no route serves with this method is
 * left to the router's 404/405. A request with neither a body nor a Content-Type is read as an
 * empty body (its validation names the missing fields); a body without a Content-Type is a 415.
 */
export function mediaTypeGuard(
  req: Request & { id?: string },
  res: Response,
  next: NextFunction,
): void {
  if (!BODY_METHODS.has(req.method)) return next();
  const type = mediaTypeOf(req);
  if (type === undefined ? !hasContent(req) : ACCEPTED_MEDIA_TYPES.includes(type)) return next();
  // Only a refused body walks the route table (every route layer's matcher): not each POST.
  if (!hasRoute(req)) return next();
  const accepted = ACCEPTED_MEDIA_TYPES.join(' or ');
  const message =
    type === undefined
      ? `A request body needs a Content-Type: send ${accepted}`
      : `Content-Type ${JSON.stringify(type.slice(0, 100))} is not supported: send ${accepted}`;
  res.setHeader('Accept-Post', ACCEPTED_MEDIA_TYPES.join(', '));
  res.status(415).json(errorBody(415, message, { requestId: req.id ?? '' }));
}

function hasContent(req: Request): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}

/**
 * Right after the form parser: marks the bodies it parsed (the media type it parses, by the
 * same matcher), so that DTOs read a lone form value as a one-element list or "true" as a
 * boolean, and refuse the same in JSON (src/shared/form-body.ts).
 */
export function markFormBodies(req: Request, _res: Response, next: NextFunction): void {
  if (req.is('application/x-www-form-urlencoded')) markFormBody(req.body);
  next();
}

/**
 * body-parser `verify` hook for form bodies: the form parser silently drops keys like
 * __proto__ before we could see them, so they are refused here, on the raw text. Requests
 * under `exemptPrefix` (webhooks whose sender may add any field) are left alone.
 */
export const refuseReservedFormKeys =
  (exemptPrefix: string) =>
  (req: { url?: string }, _res: unknown, buf: Buffer): void => {
    if (req.url?.startsWith(exemptPrefix)) return;
    refuseReservedKeysIn(buf);
  };

function refuseReservedKeysIn(buf: Buffer): void {
  for (const key of new URLSearchParams(buf.toString('utf8')).keys()) {
    const bare = key.replace(/\[.*$/, '');
    if (RESERVED_KEYS.has(bare)) {
      throw Object.assign(new Error(`Field name "${bare}" is not allowed`), {
        status: 400,
        expose: true,
      });
    }
  }
}

const MAX_BODY_DEPTH = 8;
/** Keys that only ever appear in a body to reach Object.prototype. */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/**
 * Refuses bodies nested deeper than any of our contracts (class-transformer recurses and would
 * overflow the stack on thousands of levels) and bodies with prototype-reserved keys (which the
 * DTO layer would otherwise drop silently rather than refuse).
 */
export function bodyShapeGuard(
  req: Request & { id?: string },
  res: Response,
  next: NextFunction,
): void {
  const problem = shapeProblem(req.body);
  if (!problem) return next();
  res
    .status(400)
    .json(errorBody(400, problem, { code: 'MALFORMED_BODY', requestId: req.id ?? '' }));
}

function shapeProblem(body: unknown): string | undefined {
  const stack: [unknown, number][] = [[body, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH)
      return `Request body is nested deeper than ${MAX_BODY_DEPTH} levels`;
    for (const key of Object.keys(value)) {
      if (RESERVED_KEYS.has(key)) return `Field name "${key}" is not allowed`;
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return undefined;
}
