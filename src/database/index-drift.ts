import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { AllConfig } from '../config/config.type';

const FIX = 'run "npm run db:indexes" (the init container of deploy/k8s does)';

/**
 * At start, each collection's indexes are compared with its schema. Indexes are built by an
 * explicit step in production (`npm run db:indexes`, Model.syncIndexes; MONGODB_AUTO_INDEX is
 * off there), and even where Mongoose builds them at start it never replaces one whose options
 * changed (a plain index that became a TTL one, a sparse one that became partial) nor drops one
 * the schema no longer declares: MongoDB refuses the conflicting definition and Mongoose only
 * logs it.
 *
 * With MONGODB_REQUIRE_INDEXES (the production default) an index the schemas declare but the
 * database lacks, or has with other options, refuses the start: the unique and TTL indexes carry
 * guarantees (one send per Idempotency-Key, one application per callback) that must not silently
 * lapse. An extra index only costs writes, so it is a warning either way. Without the flag the
 * comparison runs in the background and warns: readiness does not wait for autoIndex's builds.
 */
@Injectable()
export class IndexDriftCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger(IndexDriftCheck.name);

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.get('database.requireIndexes', { infer: true })) await this.require();
    else void this.warn();
  }

  /** Throws (the entry point exits non-zero with this message) when an index is missing. */
  private async require(): Promise<void> {
    const drift = await compareIndexes(this.connection);
    const missing = drift.filter((d) => d.toCreate.length > 0);
    if (missing.length > 0)
      throw new Error(
        `MongoDB indexes missing or different from the schemas (${missing.map(describeDrift).join('; ')}): ${FIX} before starting the service (MONGODB_REQUIRE_INDEXES=false starts without them)`,
      );
    if (drift.length > 0)
      this.logger.warn(
        `MongoDB indexes not in the schemas (${drift.map(describeDrift).join('; ')}): ${FIX} to drop them`,
      );
  }

  private async warn(): Promise<void> {
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

/** One collection whose indexes differ from its schema's. */
export interface CollectionDrift {
  collection: string;
  /** Index names the schema does not declare (or declares with other options). */
  toDrop: string[];
  /** Index keys the schema declares and the collection lacks (or has with other options). */
  toCreate: Record<string, unknown>[];
}

/** Every model of the connection whose collection's indexes differ from its schema. */
export async function compareIndexes(connection: Connection): Promise<CollectionDrift[]> {
  const drift: CollectionDrift[] = [];
  for (const model of Object.values(connection.models)) {
    await model.init().catch(() => undefined); // the start-up build, if any, ran (or failed) first
    const { toDrop, toCreate } = await model.diffIndexes();
    if (toDrop.length === 0 && toCreate.length === 0) continue;
    drift.push({
      collection: model.collection.collectionName,
      toDrop,
      toCreate: toCreate as Record<string, unknown>[],
    });
  }
  return drift;
}

/** "collection: drop a, b; create c" for every model whose indexes differ from its schema. */
export async function indexDrift(connection: Connection): Promise<string[]> {
  return (await compareIndexes(connection)).map(describeDrift);
}

function describeDrift({ collection, toDrop, toCreate }: CollectionDrift): string {
  const parts = [
    toDrop.length > 0 ? `drop ${toDrop.join(', ')}` : '',
    toCreate.length > 0 ? `create ${toCreate.map((k) => JSON.stringify(k)).join(', ')}` : '',
  ].filter(Boolean);
  return `${collection}: ${parts.join('; ')}`;
}
