import mongoose, { Connection } from 'mongoose';
import request from 'supertest';
import { indexDrift } from '../../src/database/index-drift';
import { SpawnedService, spawnService } from '../support/spawned-service';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * An upgrade that changes an index (the orphan index became a TTL one, the UUID index went from
 * sparse to partial) leaves the old definition in place: MongoDB refuses the new one and
 * Mongoose only logs it. indexDrift names such differences; syncIndexes (npm run db:indexes)
 * removes them.
 */
describe('index drift after an upgrade (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('is reported for an index whose options changed, and gone after syncIndexes', async () => {
    expect(await indexDrift(t.db)).toEqual([]);
    const orphans = t.db.collection('unmatched_status_callbacks');
    const logs = t.db.collection('message_logs');
    // The previous release's definitions.
    await orphans.dropIndex('receivedAt_1');
    await orphans.createIndex({ receivedAt: 1 });
    await logs.createIndex({ createdAt: -1, _id: -1 });

    const drift = await indexDrift(t.db);
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^unmatched_status_callbacks: drop receivedAt_1; create/),
        expect.stringMatching(/^message_logs: drop createdAt_-1__id_-1$/),
      ]),
    );

    for (const model of Object.values(t.db.models)) await model.syncIndexes();
    expect(await indexDrift(t.db)).toEqual([]);
    const ttl = (await orphans.indexes()).find((i) => i.key.receivedAt === 1);
    expect(ttl?.expireAfterSeconds).toBe(7 * 24 * 60 * 60);
  });
});

/** Index names per collection of a database, `_id_` left out (collections that exist). */
async function indexesOf(db: Connection): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const { name } of await db.db!.listCollections().toArray()) {
    const names = (await db.collection(name).indexes()).map((i) => String(i.name));
    result[name] = names.filter((n) => n !== '_id_').sort();
  }
  return result;
}

const COLLECTIONS = [
  'campaigns',
  'idempotency_keys',
  'message_logs',
  'opt_out_reply_windows',
  'opt_outs',
  'unmatched_status_callbacks',
];
/** Collections whose schemas declare no index beyond _id (so no drift to report). */
const WITHOUT_INDEXES = ['pacing'];

describe('indexes at start: MONGODB_AUTO_INDEX, MONGODB_REQUIRE_INDEXES (e2e)', () => {
  it('with MONGODB_AUTO_INDEX=false the service creates no index (outside production it only warns)', async () => {
    const t = await createTestApp({ MONGODB_AUTO_INDEX: 'false' });
    try {
      const indexes = await indexesOf(t.db);
      expect(Object.keys(indexes).sort()).toEqual([...COLLECTIONS, ...WITHOUT_INDEXES].sort());
      for (const names of Object.values(indexes)) expect(names).toEqual([]);
      expect(await indexDrift(t.db)).toHaveLength(COLLECTIONS.length);
      await request(t.baseUrl).get('/health/ready').expect(200);
    } finally {
      await t.close();
    }
  });

  describe('production (spawned: node src/main.ts, NODE_ENV=production)', () => {
    const API_KEY = 'index-test-key-0123456789';
    let uri: string;
    let db: Connection;
    let service: SpawnedService | undefined;

    /** Production settings on this test's database; the index settings at their defaults. */
    const production = (extra: Record<string, string> = {}) => ({
      NODE_ENV: 'production',
      MONGODB_URI: uri,
      PLIVO_AUTH_ID: 'MAINDEXTEST000000000',
      PLIVO_AUTH_TOKEN: 'index-test-token',
      PLIVO_SENDER_NUMBER: '+14155550100',
      PLIVO_API_URL: 'http://127.0.0.1:9',
      API_KEYS: API_KEY,
      METRICS_TOKEN: 'index-test-metrics-token-0123',
      MONGODB_AUTO_INDEX: '', // blank = not set: the production default (spawnService sets true)
      ...extra,
    });
    const exitWithoutStack = async (s: SpawnedService) => {
      expect(await s.exited).toBe(1);
      expect(s.output()).not.toMatch(/\n\s+at /);
    };

    beforeAll(async () => {
      const base = new URL(process.env.TEST_MONGODB_SERVER!);
      base.pathname = `/indexes_${process.pid}_${Date.now()}`;
      uri = base.toString();
      db = await mongoose.createConnection(uri, { autoIndex: false }).asPromise();
    });
    afterEach(() => service?.kill());
    afterAll(async () => {
      await db?.dropDatabase();
      await db?.close();
    });

    it('on an empty database: exits 1 naming the missing indexes and "npm run db:indexes", and builds none', async () => {
      service = await spawnService(production());
      await exitWithoutStack(service);
      expect(service.output()).toMatch(
        /Failed to start: MongoDB indexes missing or different from the schemas \(.*\): run "npm run db:indexes"/,
      );
      for (const name of COLLECTIONS) expect(service.output()).toMatch(`${name}: create {`);
      for (const names of Object.values(await indexesOf(db))) expect(names).toEqual([]);
    }, 60000);

    it('MONGODB_REQUIRE_INDEXES=false: starts without them, warns, and still builds none', async () => {
      service = await spawnService(production({ MONGODB_REQUIRE_INDEXES: 'false' }));
      await service.waitForOutput(/listening on port/);
      await service.waitForOutput(/MongoDB indexes differ from the schemas .*npm run db:indexes/);
      await request(service.baseUrl).get('/health/ready').expect(200);
      for (const names of Object.values(await indexesOf(db))) expect(names).toEqual([]);
    }, 60000);

    it('after `npm run db:indexes` (src/db-indexes.ts) it starts: the step builds every index the service declares; an extra index only warns; no REDIS_URL warns', async () => {
      const step = await spawnService({ MONGODB_URI: uri }, { entry: 'src/db-indexes.ts' });
      expect(await step.exited).toBe(0);
      const built = await indexesOf(db);
      for (const name of COLLECTIONS) expect(built[name].length).toBeGreaterThan(0);
      await db.collection('message_logs').createIndex({ text: 1 });

      service = await spawnService(production());
      await service.waitForOutput(/listening on port/);
      await request(service.baseUrl).get('/health/ready').expect(200);
      expect(service.output()).toMatch(
        /MongoDB indexes not in the schemas \(message_logs: drop text_1\)/,
      );
      expect(service.output()).toMatch(/REDIS_URL is not set: rate limits are counted per process/);
      expect(service.output()).not.toMatch(/Failed to start/);
      // It built nothing either: the indexes are those the step left, plus the extra one.
      expect(await indexesOf(db)).toEqual({
        ...built,
        message_logs: [...built.message_logs, 'text_1'].sort(),
      });
    }, 90000);

    it('an index the schema now declares with other options (the previous release’s) refuses the start too', async () => {
      const orphans = db.collection('unmatched_status_callbacks');
      await orphans.dropIndex('receivedAt_1');
      await orphans.createIndex({ receivedAt: 1 }); // no TTL: the previous definition
      service = await spawnService(production());
      await exitWithoutStack(service);
      expect(service.output()).toMatch(
        /Failed to start: MongoDB indexes missing or different from the schemas \(unmatched_status_callbacks: drop receivedAt_1; create \{"receivedAt":1\}\)/,
      );
    }, 60000);
  });
});
