import { Types } from 'mongoose';
import { MessageLogRepository } from '../../src/mms/message-log/message-log.repository';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TestApp } from '../support/test-app';

type Write = (...args: unknown[]) => Promise<unknown>;
const WRITES = ['updateOne', 'findOneAndUpdate'] as const;

/** True when a write's result says its filter matched no document. */
function missed(result: unknown): boolean {
  if (result === null) return true; // findOneAndUpdate
  const counts = result as { matchedCount?: number };
  return counts?.matchedCount === 0;
}

/**
 * The race from issue #9: a status callback matched by Plivo's UUID arrives while the send path
 * is storing that UUID. If the callback's write is more than one database operation, the
 * message can become matchable between them, and a forward status is stored as "late"
 * (applied: false) for good. This test forces that interleaving: the first write of the
 * callback that finds no message is held until the send path has stored the UUID (through the
 * real repository), then released. Nothing is stubbed; the writes go to the real database.
 */
describe('status change atomicity (e2e): a callback racing the send path that stores its UUID', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ UNMATCHED_CALLBACK_SWEEP_MS: '100' });
  });
  afterAll(async () => t?.close());

  it.each(['sent', 'delivered'])(
    'a forward "%s" is applied, never recorded as late, whatever the interleaving',
    async (status) => {
      const model = t.db.model<MessageLog>(MessageLog.name);
      const repository = t.app.get(MessageLogRepository);
      const uuid = new Types.UUID().toString();
      const pending = await model.create({
        direction: 'outbound',
        channel: 'mms',
        sender: '+14155550100',
        recipient: '+14157654321',
        status: 'pending',
        statusRank: 0,
        statusHistory: [{ status: 'pending', at: new Date(), source: 'api', applied: true }],
      });

      const collection = model.collection as unknown as Record<string, Write>;
      const originals = Object.fromEntries(WRITES.map((name) => [name, collection[name]]));
      let interleaved = false;
      for (const name of WRITES) {
        collection[name] = async (...args: unknown[]) => {
          const result = await originals[name].apply(model.collection, args);
          const filter = args[0] as Record<string, unknown>;
          if (!interleaved && filter.plivoMessageUuid === uuid && missed(result)) {
            interleaved = true;
            // The send path stores Plivo's answer now, between the callback's steps.
            await repository.applyStatusChange(
              { _id: pending._id },
              { status: 'queued', source: 'plivo-response', set: { plivoMessageUuid: uuid } },
            );
          }
          return result;
        };
      }
      try {
        await postSigned(
          t.baseUrl,
          PLIVO_WEBHOOK_ROUTES.status,
          { MessageUUID: uuid, Status: status, Sequence: '2' },
          { token: t.authToken },
        ).expect(200);
      } finally {
        for (const name of WRITES) collection[name] = originals[name];
      }
      expect(interleaved).toBe(true);

      const log = await eventually(
        () => model.findById(pending._id).lean(),
        (l) => l?.status === status,
        `the ${status} callback to be applied`,
        5000,
      );
      const entries = log!.statusHistory.filter((h) => h.status === status);
      expect(entries).toEqual([expect.objectContaining({ status, applied: true })]);
      expect(log!.plivoMessageUuid).toBe(uuid);
    },
  );
});
