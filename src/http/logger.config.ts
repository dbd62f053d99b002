import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app.config';
import { maskPii } from '../shared/pii';
import { assignRequestId } from '../shared/request-id';

/** Headers that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-plivo-signature-v2"]',
  'req.headers["x-plivo-signature-v3"]',
  'req.headers["x-plivo-signature-ma-v2"]',
  'req.headers["x-plivo-signature-ma-v3"]',
  'res.headers["set-cookie"]',
];

/**
 * JSON lines in production, one per request with its id. Bodies are never logged (they hold
 * message text); phone numbers are masked to their last 4 digits unless LOG_PII=true.
 */
export function loggerParams(app: AppConfig, logPii: boolean): Params {
  const pretty = app.nodeEnv === 'development' && process.stdout.isTTY;
  return {
    pinoHttp: {
      level: app.logLevel,
      // requestIdMiddleware has usually assigned it already (it runs before the body parsers).
      genReqId: (req, res) => (req as { id?: string }).id ?? assignRequestId(req, res),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // The query string is dropped: it may carry phone numbers or filters.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      ...(logPii
        ? {}
        : { formatters: { log: (record: Record<string, unknown>) => maskPii(record) } }),
      // The API client (its id, never its key) on every request line of a client route.
      customProps: (req) => {
        const client = (req as { client?: { id: string } }).client;
        return client ? { clientId: client.id } : {};
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
    },
  };
}
