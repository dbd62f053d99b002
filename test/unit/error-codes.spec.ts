/**
 * The error table of docs/errors.md against the source: every code a thrower names (`code: '…'`), every
 * Plivo failure code, and the default code of each status the service answers without one are
 * listed, and nothing else is. (test/e2e/error-contract checks the table against the OpenAPI
 * document, and each code over HTTP.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultErrorCode } from '../../src/shared/error-body';
import { FAILURE_CODES } from '../../src/mms/send/plivo-failure-to-http';
import { readmeErrorCodes } from '../support/readme-error-codes';

const SRC = join(__dirname, '..', '..', 'src');

/** `code:` values that are not HTTP answers. */
const NOT_ANSWERS: Record<string, string> = {
  EBLOCKED:
    'the socket error of a refused DNS answer inside media preflight (it becomes MEDIA_NOT_DELIVERABLE)',
};

/** Statuses answered with their default code: the router's, body-parser's, the throttler's, Terminus's, a crash. */
const DEFAULTED_STATUSES = [400, 404, 405, 413, 415, 429, 500, 503];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The string literals of every `code: …` property or `code = …` (a literal or a ternary of literals). */
function thrownCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const [, expr] of text.matchAll(/\bcode\s*[:=]\s*([^,};]+)/g))
      for (const [, code] of expr.matchAll(/'([A-Z][A-Z0-9_]+)'/g)) codes.set(code, file);
  }
  return codes;
}

describe("the README's error table", () => {
  const readme = readmeErrorCodes();

  it('is found and lists codes with their status', () => {
    expect(readme.size).toBeGreaterThan(20);
    expect(readme.get('VALIDATION_FAILED')).toBe(400);
  });

  it('lists every code a thrower names', () => {
    const thrown = thrownCodes();
    expect(thrown.size).toBeGreaterThan(10);
    const missing = [...thrown.keys()].filter((c) => !readme.has(c) && !(c in NOT_ANSWERS));
    expect(missing).toEqual([]);
  });

  it('lists every Plivo failure code', () => {
    expect(Object.values(FAILURE_CODES).filter((c) => !readme.has(c))).toEqual([]);
  });

  it('lists the default code of each status answered without one, under that status', () => {
    for (const status of DEFAULTED_STATUSES)
      expect([defaultErrorCode(status), readme.get(defaultErrorCode(status))]).toEqual([
        defaultErrorCode(status),
        status,
      ]);
    expect(defaultErrorCode(429)).toBe('RATE_LIMITED');
    expect(defaultErrorCode(405)).toBe('METHOD_NOT_ALLOWED');
  });

  it('lists nothing the source cannot answer', () => {
    const known = new Set([
      ...thrownCodes().keys(),
      ...Object.values(FAILURE_CODES),
      ...DEFAULTED_STATUSES.map(defaultErrorCode),
    ]);
    expect([...readme.keys()].filter((c) => !known.has(c))).toEqual([]);
  });
});
