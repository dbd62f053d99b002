import { Types } from 'mongoose';
import { MessageLogRepository } from '../../message-log/message-log.repository';
import { LapsedKeyResolver } from './lapsed-key';

/** The log as the resolver reads it: one stored message, every status change recorded. */
function resolverWith(log: Record<string, unknown> | null) {
  const changes: unknown[] = [];
  const logs = {
    findById: async () => log,
    settlePendingAsUnknown: async (which: unknown, reason: unknown) => {
      changes.push({ which, reason, status: 'unknown' });
      return undefined;
    },
  } as unknown as MessageLogRepository;
  return { resolver: new LapsedKeyResolver(logs), changes };
}

describe('LapsedKeyResolver', () => {
  const id = new Types.ObjectId();
  const sendAt = new Date('2030-01-01T10:00:00Z');
  const validUntil = new Date('2030-01-01T13:00:00Z');

  it('a message the gateway held answers 202 scheduled, whatever the dispatchers did since', async () => {
    for (const status of ['scheduled', 'pending', 'queued', 'canceled', 'expired']) {
      const { resolver, changes } = resolverWith({
        _id: id,
        status,
        channel: 'mms',
        sendAt,
        validUntil,
        ...(status === 'queued' ? { plivoMessageUuid: 'u-1' } : {}),
      });
      const verdict = await resolver.resolve(id);
      expect(verdict).toEqual({
        answer: 'accepted',
        status: 202,
        body: {
          message: 'MMS scheduled.',
          messageId: id.toHexString(),
          status: 'scheduled',
          sendAt: sendAt.toISOString(),
          validUntil: validUntil.toISOString(),
          channel: 'mms',
        },
      });
      // A held message handed over and left pending is the reconciler's, not this key's.
      expect(changes).toEqual([]);
    }
  });

  it("a message sent in its request with Plivo's uuid answers 202 queued", async () => {
    const { resolver } = resolverWith({
      _id: id,
      status: 'queued',
      channel: 'mms',
      plivoMessageUuid: 'u-1',
      plivoApiId: 'a-1',
    });
    const verdict = await resolver.resolve(id);
    expect(verdict).toMatchObject({ answer: 'accepted', body: { status: 'queued' } });
  });

  it('a pending message sent in its request becomes unknown (Plivo may have it)', async () => {
    const { resolver, changes } = resolverWith({ _id: id, status: 'pending', channel: 'mms' });
    const verdict = await resolver.resolve(id);
    expect(verdict.answer).toBe('unknown');
    expect(changes).toEqual([expect.objectContaining({ status: 'unknown' })]);
  });

  it('no log: retried under the same id', async () => {
    const { resolver } = resolverWith(null);
    expect(await resolver.resolve(id)).toEqual({ answer: 'retry', messageId: id });
  });
});
