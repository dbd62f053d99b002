import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An error code as the README and the OpenAPI descriptions write it: `UPPER_SNAKE` in backticks. */
export const BACKTICKED_CODE = /`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g;

/** Every backticked code in a text (a description, a table cell). */
export function codesIn(text: string): string[] {
  return [...text.matchAll(BACKTICKED_CODE)].map((m) => m[1]);
}

/**
 * The error table of docs/errors.md: code → HTTP status. A row may name several
 * codes in its first cell; the second cell is the status.
 */
export function readmeErrorCodes(): Map<string, number> {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  if (!page.startsWith('# Errors\n'))
    throw new Error('docs/errors.md does not start with "# Errors"');
  const section = page.split(/\n#{1,3} /)[0];
  const codes = new Map<string, number>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | code | status | when |  →  ['', code, status, when, '']
    if (cells.length < 4 || !/^\d{3}$/.test(cells[2])) continue;
    for (const code of codesIn(cells[1])) {
      if (codes.has(code)) throw new Error(`README error table lists ${code} twice`);
      codes.set(code, Number(cells[2]));
    }
  }
  return codes;
}
