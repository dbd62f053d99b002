import fc from 'fast-check';
import { Types } from 'mongoose';
import { MessageLogRecord } from '../message-log/message-log.repository';
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from './cursor';

const HEX = '0123456789abcdef';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const cursorOf = (hex: string) =>
  encodeCursor({ _id: new Types.ObjectId(hex) } as unknown as MessageLogRecord);

describe('the cursor and CURSOR_PATTERN (what the OpenAPI document states)', () => {
  /** One 3-hex-character group of the pattern: the 4 base64url characters encoding it. */
  const group = new RegExp(
    `^${CURSOR_PATTERN.source.slice(1, CURSOR_PATTERN.source.indexOf('{8}'))}$`,
  );

  it('a group matches exactly the 4096 encodings of three hex characters, nothing else', () => {
    const encodings = new Set<string>();
    for (const a of HEX)
      for (const b of HEX)
        for (const c of HEX) encodings.add(Buffer.from(a + b + c).toString('base64url'));
    expect([...encodings].filter((e) => !group.test(e))).toEqual([]);
    // All 64^4 base64url strings of 4 characters.
    let matched = 0;
    let stray = 0;
    for (const a of BASE64URL)
      for (const b of BASE64URL)
        for (const c of BASE64URL)
          for (const d of BASE64URL) {
            const s = a + b + c + d;
            if (group.test(s)) {
              matched++;
              if (!encodings.has(s)) stray++;
            }
          }
    expect({ matched, stray }).toEqual({ matched: 4096, stray: 0 });
  });

  it('every cursor the API issues matches; every match decodes to a message id', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{24}$/), (hex) => {
        const cursor = cursorOf(hex);
        expect(cursor).toMatch(CURSOR_PATTERN);
        expect(decodeCursor(cursor).toHexString()).toBe(hex);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(CURSOR_PATTERN), (cursor) => {
        expect(decodeCursor(cursor)).toBeInstanceOf(Types.ObjectId);
        expect(cursorOf(decodeCursor(cursor).toHexString())).toBe(cursor);
      }),
    );
  });

  it('refuses what is not a cursor, and still reads the earlier <ms>.<id> form', () => {
    for (const bad of ['', 'abc', 'not-a-cursor', cursorOf('a'.repeat(24)).slice(1), '%%%'])
      expect(() => decodeCursor(bad)).toThrow('cursor is not a cursor returned by this API');
    const legacy = Buffer.from(`1717000000000.${'b'.repeat(24)}`).toString('base64url');
    expect(legacy).not.toMatch(CURSOR_PATTERN);
    expect(decodeCursor(legacy).toHexString()).toBe('b'.repeat(24));
  });
});
