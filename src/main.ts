import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AllConfig } from './config/config.type';
import { ShutdownState } from './health/shutdown-state';
import { prepareSandbox } from './sandbox/prepare-sandbox';

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const sandbox = await prepareSandbox();
  // abortOnError: false lets a boot failure (e.g. MongoDB unreachable) reach the handler below,
  // which prints one clear line and exits non-zero.
  const app = await NestFactory.create(AppModule, { bufferLogs: true, abortOnError: false }).catch(
    async (error: unknown) => {
      await sandbox.stop();
      throw error;
    },
  );
  configureApp(app);
  const config = app.get(ConfigService<AllConfig, true>);
  const { port, publicBaseUrl, sandbox: mode } = config.get('app', { infer: true });
  const { shutdownDelayMs, apiKeyDigests } = config.get('http', { infer: true });
  // The longest a request can run: media preflight, then sends (SMS fallback included) inside
  // one PLIVO_SEND_DEADLINE_MS, then its final write.
  const handlerWaitMs =
    config.get('plivo.sendDeadlineMs', { infer: true }) +
    config.get('send.mediaPreflightTimeoutMs', { infer: true }) +
    5000;
  const logger = new NestLogger('Bootstrap');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness fails at once; the listener stays open for SHUTDOWN_DELAY_MS so load balancers
    // stop routing here first; then in-flight requests finish before MongoDB is closed.
    const state = app.get(ShutdownState);
    state.begin();
    logger.log(`${signal}: readiness is now 503; closing the listener in ${shutdownDelayMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs));
    const server = app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // A handler whose client hung up no longer holds a connection open: wait for it anyway,
    // so its log update lands before MongoDB closes.
    if (!(await state.waitForIdle(handlerWaitMs))) {
      logger.warn(
        `${state.inFlight} request(s) still running after ${handlerWaitMs} ms; closing anyway`,
      );
    }
    await app.close();
    await sandbox.stop();
    logger.log('Shut down cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(port);
  if (apiKeyDigests.length === 0) {
    logger.warn(
      'API_KEYS is not set: client routes are OPEN (allowed outside production only). Set API_KEYS to require X-API-Key.',
    );
  }
  const banner = mode.plivo || mode.database ? ' [SANDBOX MODE: see above]' : '';
  logger.log(
    `MMS gateway listening on port ${port}; public URL ${publicBaseUrl}; API docs at ${publicBaseUrl}/docs${banner}`,
  );
}

bootstrap().catch((error: unknown) => {
  console.error(`Failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
