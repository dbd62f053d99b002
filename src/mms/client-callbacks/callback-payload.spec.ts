import { CallbackEvent } from '../message-log/callback-event.schema';
import { callbackPayload } from './callback-payload';

const at = new Date('2026-11-30T15:24:45.234Z');
const base = { id: 'evt_1', sequence: 1, channel: 'mms', occurredAt: at, state: 'pending' };

describe('callbackPayload', () => {
  it('an event stored before events had a type is a message.status', () => {
    const event = { ...base, status: 'queued', previousStatus: 'pending' } as CallbackEvent;
    expect(callbackPayload('m1', event)).toMatchObject({
      id: 'evt_1',
      type: 'message.status',
      messageId: 'm1',
      status: 'queued',
      previousStatus: 'pending',
      occurredAt: at.toISOString(),
    });
  });

  it('a message.received event: the inbound message, its media and its keyword', () => {
    const event = {
      ...base,
      type: 'message.received',
      plivoMessageUuid: 'uuid-1',
      received: {
        from: '+14157654321',
        to: '+14155550101',
        text: 'STOP',
        media: [{ url: 'https://m.example.com/a.jpg', contentType: null }],
        keyword: { kind: 'opt-out', effect: 'opted-out' },
      },
    } as CallbackEvent;
    expect(callbackPayload('m2', event)).toEqual({
      id: 'evt_1',
      type: 'message.received',
      messageId: 'm2',
      from: '+14157654321',
      to: '+14155550101',
      text: 'STOP',
      media: [{ url: 'https://m.example.com/a.jpg', contentType: null }],
      channel: 'mms',
      plivoMessageUuid: 'uuid-1',
      keyword: { kind: 'opt-out', effect: 'opted-out' },
      receivedAt: at.toISOString(),
    });
  });
});
