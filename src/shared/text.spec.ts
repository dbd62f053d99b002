import { codePoints, NOT_BLANK } from './text';

describe('NOT_BLANK and codePoints', () => {
  it("NOT_BLANK is JavaScript's \\S spelled out: the same verdict for every BMP character", () => {
    const differ: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      if (NOT_BLANK.test(ch) !== /\S/.test(ch)) differ.push(c.toString(16));
    }
    expect(differ).toEqual([]);
  });

  it('whitespace-only text is blank; anything else is not', () => {
    expect(NOT_BLANK.test(' \t\n\r\u00a0\u2003\u3000\ufeff')).toBe(false);
    expect(NOT_BLANK.test('  x  ')).toBe(true);
    expect(NOT_BLANK.test('\u200b')).toBe(true); // zero-width space is not whitespace
  });

  it('counts code points, as JSON Schema does', () => {
    expect(codePoints('😀é\ufe0f')).toBe(3);
    expect(codePoints('\ud800')).toBe(1);
  });
});
