import { MAX_TEXT_LENGTH } from '../../../plivo/plivo-limits';
import { canReceiveMms, isMmsRefusal, smsFallback } from './destination-policy';

describe('destination policy', () => {
  it.each([
    ['+14157654321', true],
    ['+16135550123', true],
    ['+447911123456', false],
    ['+33612345678', false],
    ['+61412345678', false],
  ])('%s can receive MMS: %s', (number, expected) => {
    expect(canReceiveMms(number)).toBe(expected);
  });

  it('recognises Plivo refusals that are about MMS capability only', () => {
    expect(
      isMmsRefusal({
        kind: 'rejected',
        reason: 'Plivo rejected the message: destination number is not MMS capable',
        retryable: false,
      }),
    ).toBe(true);
    expect(
      isMmsRefusal({
        kind: 'rejected',
        reason: 'Plivo rejected the message: cannot send MMS to this carrier',
        retryable: false,
      }),
    ).toBe(true);
    expect(
      isMmsRefusal({
        kind: 'rejected',
        reason: 'Plivo rejected the message: dst parameter is not a valid number',
        retryable: false,
      }),
    ).toBe(false);
    expect(
      isMmsRefusal({ kind: 'unavailable', reason: 'MMS not available (503)', retryable: true }),
    ).toBe(false);
  });

  it('builds the SMS text from the message and one link per line', () => {
    expect(
      smsFallback('Hello', ['https://a.example/1.png', 'https://a.example/2.png'], [], 'why'),
    ).toEqual({
      channel: 'sms',
      text: 'Hello\nhttps://a.example/1.png\nhttps://a.example/2.png',
      mediaUrls: [],
      mediaIds: [],
      fallbackReason: 'why',
    });
  });

  it('refuses a fallback that cannot carry the media', () => {
    expect(smsFallback('Hello', [], ['media-id-1'], 'why')).toEqual({
      refused: expect.stringMatching(/media ids/),
    });
    expect(
      smsFallback('x'.repeat(MAX_TEXT_LENGTH - 5), ['https://a.example/1.png'], [], 'why'),
    ).toEqual({ refused: expect.stringMatching(/limit 1600/) });
  });
});
