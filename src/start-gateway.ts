import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AllConfig } from './config/config.type';
import { longestRequestMs } from './config/configuration';
import { ShutdownState } from './health/shutdown-state';

export interface StartOptions {
  /** Runs after the app has closed on SIGTERM/SIGINT (the sandbox stops its stand-ins here). */
  afterClose?: () => Promise<void>;
}

/**
 * Boots the service with a validated configuration, listens, and drains gracefully on
 * SIGTERM/SIGINT. Shared by the production entry point (src/main.ts) and the sandbox's.
 */
export async function startGateway(config: AllConfig, options: StartOptions = {}): Promise<void> {
  // abortOnError: false lets a boot failure (e.g. MongoDB unreachable) reach the caller, which
  // prints one clear line and exits non-zero.
  const app = await NestFactory.create(AppModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  configureApp(app);
  const { port, host, publicBaseUrl } = config.app;
  const { shutdownDelayMs } = config.http;
  const handlerWaitMs = longestRequestMs(config.plivo, config.send);
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
    await options.afterClose?.();
    logger.log('Shut down cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(port, host);
  if (config.clients.keys.length === 0) {
    const who = config.app.sandbox.openAccessAdmin
      ? 'every caller is an admin (the sandbox)'
      : 'no caller is an admin';
    logger.warn(
      `API_KEYS is not set: client routes are OPEN and ${who} (allowed outside production only). Set API_KEYS to require X-API-Key.`,
    );
  }
  if (config.app.nodeEnv === 'production' && !config.http.throttle.redisUrl) {
    logger.warn(
      'REDIS_URL is not set: rate limits are counted per process, so with N replicas a client gets up to N x THROTTLE_LIMIT requests per window. Set REDIS_URL to share them.',
    );
  }
  const { sandbox } = config.app;
  const standIns = [sandbox.plivo && 'simulated Plivo', sandbox.database && 'embedded database'];
  const banner =
    sandbox.plivo || sandbox.database ? ` [sandbox: ${standIns.filter(Boolean).join(', ')}]` : '';
  const docs = config.http.docsEnabled ? `API docs at ${publicBaseUrl}/docs` : 'API docs off';
  logger.log(
    `MMS gateway listening on port ${port} (${host}); public URL ${publicBaseUrl}; ${docs}${banner}`,
  );
}
