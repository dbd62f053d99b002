import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app.config';
import { assignRequestId } from './request-id';

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

export function loggerParams(app: AppConfig): Params {
  const pretty = app.nodeEnv === 'development' && process.stdout.isTTY;
  return {
    pinoHttp: {
      level: app.logLevel,
      genReqId: (req, res) => assignRequestId(req, res),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // One line per request; the query string is dropped (it may carry phone numbers).
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
    },
  };
}
