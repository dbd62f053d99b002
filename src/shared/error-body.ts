import { STATUS_CODES } from 'node:http';

/** The one JSON shape of every error this service answers (the README documents it under API). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId?: string;
  [extra: string]: unknown;
}

/** An error body with the status's reason phrase; `extra` adds `code`, `errors`, `messageId`… */
export function errorBody(
  statusCode: number,
  message: string,
  extra: Omit<Partial<ErrorBody>, 'statusCode' | 'error' | 'message'> = {},
): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...extra };
}
