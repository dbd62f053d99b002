import { STATUS_CODES } from 'node:http';

/** The one JSON shape of every error this service answers (docs/errors.md documents it). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  /** Stable and machine-readable: the thrower's, else the status's default (defaultErrorCode). */
  code: string;
  message: string;
  requestId?: string;
  [extra: string]: unknown;
}

/**
 * The code of an error whose thrower named none: Nest's built-in exceptions, the router's 404
 * and 405, body-parser's 413 and 415, the throttler's 429, an unexpected 500.
 */
const DEFAULT_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** The default code of a status: from the table, else its reason phrase in upper snake case. */
export function defaultErrorCode(statusCode: number): string {
  const known = DEFAULT_CODES[statusCode];
  if (known) return known;
  const phrase = STATUS_CODES[statusCode];
  return phrase ? phrase.toUpperCase().replace(/[^A-Z0-9]+/g, '_') : 'ERROR';
}

/**
 * An error body with the status's reason phrase and `extra` (`code`, `errors`, `messageId`…);
 * without a `code`, the status's default.
 */
export function errorBody(
  statusCode: number,
  message: string,
  extra: Omit<Partial<ErrorBody>, 'statusCode' | 'error' | 'message'> = {},
): ErrorBody {
  const { code, ...rest } = extra;
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code: typeof code === 'string' && code ? code : defaultErrorCode(statusCode),
    message,
    ...rest,
  };
}
