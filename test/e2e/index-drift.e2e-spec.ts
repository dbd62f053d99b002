import { indexDrift } from '../../src/database/index-drift';
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
