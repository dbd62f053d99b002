import { BadRequestException } from '@nestjs/common';
import { parseDateTime, sendWindowOf } from './send-window';

const NOW = new Date('2026-12-07T12:00:00Z');
const fieldsOf = (input: { sendAt?: string; validUntil?: string }) => {
  try {
    sendWindowOf(input, 10_800, NOW);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as {
      code: string;
      errors: { field: string }[];
    };
    expect(body.code).toBe('VALIDATION_FAILED');
    return body.errors.map((e) => e.field);
  }
};

describe('sendAt and validUntil', () => {
  it.each([
    ['2026-12-08T09:00:00Z', '2026-12-08T09:00:00.000Z'],
    ['2026-12-08t09:00:00z', '2026-12-08T09:00:00.000Z'],
    ['2026-12-08T09:00:00.250-05:00', '2026-12-08T14:00:00.250Z'],
    ['2026-12-08T09:00:00+14:00', '2026-12-07T19:00:00.000Z'],
  ])('%s is %s', (text, iso) => expect(parseDateTime(text)?.toISOString()).toBe(iso));

  it.each([
    '2026-12-08T09:00:00',
    '2026-12-08 09:00:00Z',
    '2026-02-30T09:00:00Z',
    '2026-12-08T25:00:00Z',
    '2026-12-08T09:00:60Z',
    '2026-12-08T09:00:00+24:00',
    '2026-12-08',
    'tomorrow',
  ])('%s is refused', (text) => expect(parseDateTime(text)).toBeUndefined());

  it('now or past means now: no sendAt, validity from now', () => {
    expect(sendWindowOf({ sendAt: '2026-12-01T00:00:00Z' }, 10_800, NOW)).toEqual({
      validUntil: new Date('2026-12-07T15:00:00Z'),
    });
  });

  it('a later sendAt holds the message; validUntil defaults to sendAt + the default validity', () => {
    expect(sendWindowOf({ sendAt: '2026-12-10T08:00:00Z' }, 10_800, NOW)).toEqual({
      sendAt: new Date('2026-12-10T08:00:00Z'),
      validUntil: new Date('2026-12-10T11:00:00Z'),
    });
  });

  it('names the field of each bad value', () => {
    expect(fieldsOf({ sendAt: '2026-12-08T09:00:00' })).toEqual(['sendAt']);
    expect(fieldsOf({ sendAt: '2027-01-12T12:00:01Z' })).toEqual(['sendAt']); // 35 days + 1 s
    expect(fieldsOf({ sendAt: '2027-01-11T12:00:00Z' })).toEqual([]); // 35 days
    expect(
      fieldsOf({ sendAt: '2026-12-08T00:00:00Z', validUntil: '2026-12-08T00:00:00Z' }),
    ).toEqual(['validUntil']);
    expect(fieldsOf({ validUntil: '2026-12-07T11:59:59Z' })).toEqual(['validUntil']);
    expect(
      fieldsOf({ sendAt: '2026-12-08T00:00:00Z', validUntil: '2026-12-11T00:00:01Z' }),
    ).toEqual(['validUntil']); // 72 h + 1 s
    expect(
      fieldsOf({ sendAt: '2026-12-08T00:00:00Z', validUntil: '2026-12-11T00:00:00Z' }),
    ).toEqual([]);
    expect(fieldsOf({ sendAt: 'soon', validUntil: 'later' })).toEqual(['sendAt', 'validUntil']);
  });
});
