import { model, Types } from 'mongoose';
import { callbackHostOf } from './callback-outbox';
import { STATUS_RANK } from './message-status';
import { MessageLogSchema } from './message-log.schema';
import { NewOutboundMessage, Schedule } from './message-log.types';
import { outboundDocument } from './outbound-document';

/** A model on no connection: documents are built and validated, never saved. */
const MessageLogShape = model('OutboundDocumentShape', MessageLogSchema);
const NOW = new Date('2026-12-08T10:00:00.000Z');

/**
 * What `Model.create` wrote before the send path's insert went through the driver (the fields
 * createPending gave it): Mongoose's document with its defaults, casts and timestamps, as it
 * serialises it for the insert.
 */
function writtenByMongoose(input: NewOutboundMessage, schedule?: Schedule) {
  const status = schedule ? 'scheduled' : 'pending';
  const doc = new MessageLogShape({
    ...input,
    ...(schedule ? { ...schedule, dispatchDueAt: schedule.slotAt ?? schedule.sendAt } : {}),
    ...(input.statusCallbackUrl ? { callbackHost: callbackHostOf(input.statusCallbackUrl) } : {}),
    direction: 'outbound',
    status,
    statusRank: STATUS_RANK[status],
    attempts: 0,
    statusHistory: [{ status, at: NOW, source: 'api', applied: true }],
  });
  expect(doc.validateSync()).toBeUndefined();
  (doc as unknown as { initializeTimestamps(): void }).initializeTimestamps();
  return doc.toBSON() as unknown as Record<string, unknown>;
}

/** What the driver stores of ours: no field whose value is undefined (ignoreUndefined). */
const stored = (doc: object) =>
  Object.fromEntries(Object.entries(doc).filter(([, value]) => value !== undefined));

const BASE: NewOutboundMessage = {
  clientId: 'acme',
  channel: 'mms',
  sender: '+14155550100',
  recipient: '+14155550123',
  text: 'Hello',
  mediaUrls: ['https://example.com/a.png'],
  mediaIds: [],
};

/** Required: a field added to NewOutboundMessage must be added here, and so compared. */
const EVERY_FIELD: Required<NewOutboundMessage> = {
  ...BASE,
  _id: new Types.ObjectId(),
  senderChoice: 'sticky',
  fallbackReason: 'MMS only to US and CA',
  reason: 'help',
  statusCallbackUrl: 'https://Hooks.Example.com./status',
  fallbackToSms: false,
  validUntil: new Date('2026-12-08T13:00:00.000Z'),
};

describe('outboundDocument: the insert Mongoose would have written', () => {
  beforeAll(() => jest.useFakeTimers({ now: NOW }));
  afterAll(() => jest.useRealTimers());

  it.each<[string, NewOutboundMessage, Schedule | undefined]>([
    ['a pending MMS, the fewest fields', BASE, undefined],
    ['a message with every field an outbound message has', EVERY_FIELD, undefined],
    [
      'a pending MMS by media id, with a callback URL',
      {
        ...BASE,
        statusCallbackUrl: 'https://Hooks.Example.com./status',
        mediaUrls: [],
        mediaIds: ['801c2056-33ab-499c-80ef-58b574a462a2'],
      },
      undefined,
    ],
    [
      'an SMS fallback decided before sending',
      { ...BASE, channel: 'sms', fallbackReason: 'MMS only to US and CA', fallbackToSms: true },
      undefined,
    ],
    [
      'a reply the gateway sends on its own (reason, no media)',
      { ...BASE, channel: 'sms', reason: 'opt-out-confirmation', mediaUrls: [] },
      undefined,
    ],
    ['a message held until its sendAt', BASE, { sendAt: new Date('2026-12-09T00:00:00Z') }],
    [
      'a message held for its pacing slot',
      BASE,
      { sendAt: new Date('2026-12-08T10:05:00Z'), slotAt: new Date('2026-12-08T10:05:00Z') },
    ],
  ])('%s', (_name, input, schedule) => {
    const ours = outboundDocument(input, schedule, NOW);
    const mongoose = writtenByMongoose({ ...input, _id: ours._id }, schedule);

    expect(stored(ours)).toEqual(mongoose);
    // Already of the schema's types and within its enums: what Mongoose's validation checked.
    expect(new MessageLogShape(ours).validateSync()).toBeUndefined();
  });

  it('takes the reserved id, else makes a new one', () => {
    const reserved = new Types.ObjectId();
    expect(outboundDocument({ ...BASE, _id: reserved }, undefined, NOW)._id).toBe(reserved);
    expect(outboundDocument(BASE, undefined, NOW)._id).toBeInstanceOf(Types.ObjectId);
  });
});
