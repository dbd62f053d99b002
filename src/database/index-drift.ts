import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';

/**
 * Mongoose builds missing indexes at start, but never replaces one whose options changed (a
 * plain index that became a TTL one, a sparse one that became partial) nor drops one the schema
 * no longer declares: MongoDB refuses the conflicting definition and Mongoose only logs it. So
 * at start each collection's indexes are compared with its schema, and any drift is reported
 * with the command that fixes it (`npm run db:indexes`, Model.syncIndexes).
 */
@Injectable()
export class IndexDriftCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger(IndexDriftCheck.name);

  constructor(@InjectConnection() private readonly connection: Connection) {}

  onApplicationBootstrap(): void {
    // In the background: readiness must not wait for the index builds this comparison awaits.
    void this.check();
  }

  private async check(): Promise<void> {
    try {
      const drift = await indexDrift(this.connection);
      if (drift.length > 0)
        this.logger.warn(
          `MongoDB indexes differ from the schemas (${drift.join('; ')}): run "npm run db:indexes" once`,
        );
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'Could not compare MongoDB indexes with the schemas',
      );
    }
  }
}

/** "collection: drop a, b; create c" for every model whose indexes differ from its schema. */
export async function indexDrift(connection: Connection): Promise<string[]> {
  const drift: string[] = [];
  for (const model of Object.values(connection.models)) {
    await model.init().catch(() => undefined); // the start-up build ran (or failed) first
    const { toDrop, toCreate } = await model.diffIndexes();
    if (toDrop.length === 0 && toCreate.length === 0) continue;
    const parts = [
      toDrop.length > 0 ? `drop ${toDrop.join(', ')}` : '',
      toCreate.length > 0 ? `create ${toCreate.map((k) => JSON.stringify(k)).join(', ')}` : '',
    ].filter(Boolean);
    drift.push(`${model.collection.collectionName}: ${parts.join('; ')}`);
  }
  return drift;
}
