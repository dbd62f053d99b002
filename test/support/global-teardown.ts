import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__EMBEDDED_DB__?.stop();
  if (process.env.TEST_MONGODB_DATA_DIR)
    rmSync(process.env.TEST_MONGODB_DATA_DIR, { recursive: true, force: true });
}
