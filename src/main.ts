import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AllConfig } from './config/config.type';
import { prepareSandbox } from './sandbox/prepare-sandbox';

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const sandbox = await prepareSandbox();
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  configureApp(app);
  const {
    port,
    publicBaseUrl,
    sandbox: mode,
  } = app.get(ConfigService<AllConfig, true>).get('app', { infer: true });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: closing`);
    await app.close();
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(port);
  const banner = mode.plivo || mode.database ? ' [SANDBOX MODE: see above]' : '';
  console.log(
    `MMS gateway listening on port ${port}; public URL ${publicBaseUrl}; API docs at ${publicBaseUrl}/docs${banner}`,
  );
}

bootstrap().catch((error: unknown) => {
  console.error(`Failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
