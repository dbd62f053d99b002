import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { MAX_TEXT_LENGTH } from '../../../plivo/plivo-limits';
import { SendMmsDto } from '../../dto/send-mms.dto';
import { canReceiveMms, isMmsRefusal, planChannel, smsFallback } from './destination-policy';

// The real parser, counted: how often a send parses its destination.
jest.mock('libphonenumber-js/max', () => {
  const actual =
    jest.requireActual<typeof import('libphonenumber-js/max')>('libphonenumber-js/max');
  return { ...actual, parsePhoneNumberFromString: jest.fn(actual.parsePhoneNumberFromString) };
});
const parse = parsePhoneNumberFromString as jest.MockedFunction<typeof parsePhoneNumberFromString>;

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

  describe('a validated request: its destination parsed once', () => {
    beforeEach(() => parse.mockClear());

    it.each([
      ['+14157654321', 'mms'],
      ['+447911123456', 'sms'],
    ])(
      '%s: the validation parses it, the channel plan reuses that (%s)',
      async (number, channel) => {
        const dto = plainToInstance(SendMmsDto, {
          destinationNumber: number,
          messageText: 'Hello',
          mediaUrl: 'https://example.com/a.png',
        });
        expect(await validate(dto)).toEqual([]);
        expect(parse).toHaveBeenCalledTimes(1);
        expect(planChannel(dto, ['https://example.com/a.png'], [], true).channel).toBe(channel);
        expect(parse).toHaveBeenCalledTimes(1);
        // Another number than the one validated is parsed, never taken from the validation.
        expect(canReceiveMms('+447911123456', dto)).toBe(false);
        expect(parse).toHaveBeenCalledTimes(number === '+447911123456' ? 1 : 2);
      },
    );
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
