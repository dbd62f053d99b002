/**
 * The same-stack baseline of `npm run bench`: the leanest correct send service in the gateway's
 * own stack (Nest on Express, a class-validator DTO through the ValidationPipe, a Mongoose
 * schema, the plivo SDK in an injectable provider, nestjs-pino request logs, the throttler
 * guard, an API-key guard). `POST /send-mms` validates, inserts a pending log, calls Plivo,
 * moves the log to `queued` and answers 202. What the gateway does beyond this (opt-outs,
 * idempotency, pacing, media policy, metrics, helmet…) is what the comparison prices.
 *
 * Its own process, started like the bare baseline (bench/processes.ts transpiles bench/ files
 * into the run's temp dir). Configured by environment:
 *   LEAN_PORT, LEAN_MONGODB_URI, PLIVO_API_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN,
 *   PLIVO_SENDER_NUMBER, API_KEYS (name:key,…), THROTTLE_LIMIT, THROTTLE_TTL_MS, LOG_LEVEL
 * Prints `lean-baseline listening on <port>` once it accepts connections.
 */
import 'reflect-metadata';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { AddressInfo } from 'node:net';
import { Logger } from 'nestjs-pino';
import { LeanAppModule } from './lean-app.module';
import type { LeanConfig } from './lean-config';
import { LeanMessageLog } from './lean-log.schema';

export async function startLeanBaseline(
  config: LeanConfig,
): Promise<{ app: INestApplication; port: number }> {
  const app = await NestFactory.create(LeanAppModule.forConfig(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  // Its indexes exist before the first request, as the gateway's (built by db:indexes) do.
  await app.get<Model<LeanMessageLog>>(getModelToken(LeanMessageLog.name)).init();
  await app.listen(config.port, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

export function leanConfigFromEnv(env: NodeJS.ProcessEnv): LeanConfig {
  return {
    port: Number(env.LEAN_PORT ?? 0),
    mongodbUri: env.LEAN_MONGODB_URI ?? '',
    plivoApiUrl: env.PLIVO_API_URL ?? '',
    authId: env.PLIVO_AUTH_ID ?? '',
    authToken: env.PLIVO_AUTH_TOKEN ?? '',
    senderNumber: env.PLIVO_SENDER_NUMBER ?? '+14155550100',
    apiKeys: (env.API_KEYS ?? '')
      .split(',')
      .map((entry) => entry.slice(entry.indexOf(':') + 1))
      .filter(Boolean),
    throttleLimit: Number(env.THROTTLE_LIMIT ?? 100),
    throttleTtlMs: Number(env.THROTTLE_TTL_MS ?? 60000),
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}

if (require.main === module) {
  startLeanBaseline(leanConfigFromEnv(process.env)).then(
    ({ app, port }) => {
      console.log(`lean-baseline listening on ${port}`);
      process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
    },
    (error: unknown) => {
      console.error(`lean-baseline failed: ${String(error)}`);
      process.exit(1);
    },
  );
}
