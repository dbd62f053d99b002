/**
 * docs/status-callbacks.md's Node verification snippet ("Status callbacks to your service") against the
 * service's real signer: what clients copy must accept what the gateway sends and refuse the
 * rest. The sandbox's client endpoint must run that same snippet, so its function is compared
 * with the page's, text for text, and put through the same vectors.
 */
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { verifyStatusCallbackSignature as receiverVerify } from '../../sandbox/plivo-simulator/status-receiver';
import { signCallback } from '../../src/mms/client-callbacks/callback-signature';

type Verify = typeof receiverVerify;

const ROOT = join(__dirname, '..', '..');
const FUNCTION_START = 'export function verifyStatusCallbackSignature(';

function readmeSection(title: string): string {
  const page = readFileSync(join(ROOT, 'docs', 'status-callbacks.md'), 'utf8');
  const start = page.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/status-callbacks.md has no "## ${title}" section`);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

/** The ts/js code blocks of a README section. */
function codeBlocks(section: string): string[] {
  return [...section.matchAll(/```(?:ts|js|typescript|javascript)\n([^]*?)```/g)].map((m) => m[1]);
}

/** `export function verifyStatusCallbackSignature(…) {…}`: up to the first `}` at column 0. */
function functionText(source: string): string {
  const start = source.indexOf(FUNCTION_START);
  if (start < 0) throw new Error('verifyStatusCallbackSignature not found');
  const end = source.indexOf('\n}', start);
  return source.slice(start, end + 2);
}

const normalized = (code: string) => code.replace(/\s+/g, ' ').trim();

/** Runs the snippet as a CommonJS module whose only dependency may be node:crypto. */
function evaluate(snippet: string): Verify {
  const { outputText, diagnostics } = ts.transpileModule(snippet, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
  });
  expect(diagnostics ?? []).toEqual([]);
  const exports: Record<string, unknown> = {};
  const requireCrypto = (name: string): unknown => {
    if (name !== 'node:crypto' && name !== 'crypto')
      throw new Error(`the snippet needs ${name}: plain Node crypto only`);
    return nodeCrypto;
  };
  new Function('require', 'exports', 'module', outputText)(requireCrypto, exports, { exports });
  expect(typeof exports.verifyStatusCallbackSignature).toBe('function');
  return exports.verifyStatusCallbackSignature as Verify;
}

const section = readmeSection('Status callbacks to your service');
const snippet = codeBlocks(section).find((block) => block.includes(FUNCTION_START)) ?? '';

describe("README's status-callback verification snippet", () => {
  it('is in the section, imports only node:crypto, and uses a constant-time comparison', () => {
    expect(snippet).toContain(FUNCTION_START);
    const imports = [...snippet.matchAll(/from '([^']+)'|require\('([^']+)'\)/g)].map(
      (m) => m[1] ?? m[2],
    );
    expect(imports).toEqual(['node:crypto']);
    expect(snippet).toContain('timingSafeEqual(');
    expect(section).toContain("express.raw({ type: 'application/json' })");
  });

  it('is what the sandbox runs: status-receiver.ts has the same function and imports', () => {
    const receiverSource = readFileSync(
      join(ROOT, 'sandbox/plivo-simulator/status-receiver.ts'),
      'utf8',
    );
    expect(normalized(functionText(receiverSource))).toBe(normalized(functionText(snippet)));
    expect(receiverSource).toContain("import { createHmac, timingSafeEqual } from 'node:crypto';");
    expect(snippet).toContain("import { createHmac, timingSafeEqual } from 'node:crypto';");
  });
});

describe.each<[string, () => Verify]>([
  ['the README snippet', () => evaluate(snippet)],
  ["the sandbox's status-receiver", () => receiverVerify],
])('%s against the service signer (signCallback)', (_name, load) => {
  const NEW = 'new-secret-0123456789abcdef0123456789abcdef';
  const OLD = 'old-secret-fedcba9876543210fedcba9876543210';
  const T = 1_750_000_000;
  const body = JSON.stringify({
    id: 'evt_0123456789abcdef01234567',
    type: 'message.status',
    messageId: 'm1',
    status: 'delivered',
    previousStatus: 'sent',
    errorCode: null,
    errorMessage: null,
    plivoMessageUuid: 'e1b5c3a2-0000-4000-8000-000000000000',
    channel: 'mms',
    occurredAt: '2025-06-15T12:00:00.000Z',
    sequence: 3,
    note: 'héllo 👋', // multi-byte UTF-8: the bytes signed are the bytes sent
  });
  let verify: Verify;
  beforeAll(() => (verify = load()));

  it('accepts a fresh signature with the defaults (now, 300 s)', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verify(signCallback(body, [NEW], now), body, [NEW])).toBe(true);
  });

  it('rotation: a header signed with two secrets is accepted knowing either one', () => {
    const header = signCallback(body, [NEW, OLD], T);
    expect(verify(header, body, [NEW], 300, T)).toBe(true);
    expect(verify(header, body, [OLD], 300, T)).toBe(true);
    expect(verify(header, body, [OLD, NEW], 300, T)).toBe(true);
    expect(verify(header, body, ['another-secret-000000000000000000000'], 300, T)).toBe(false);
    expect(verify(signCallback(body, [NEW], T), body, [OLD, NEW], 300, T)).toBe(true);
  });

  it('refuses a tampered body and a wrong secret', () => {
    const header = signCallback(body, [NEW], T);
    expect(verify(header, body.replace('delivered', 'failed'), [NEW], 300, T)).toBe(false);
    expect(verify(header, body.replace('👋', '👍'), [NEW], 300, T)).toBe(false);
    expect(verify(header, JSON.stringify(JSON.parse(body), null, 1), [NEW], 300, T)).toBe(false);
    expect(verify(header, body, [OLD], 300, T)).toBe(false);
    expect(verify(header, body, [], 300, T)).toBe(false);
  });

  it('refuses a timestamp more than 5 minutes away, accepts one within', () => {
    expect(verify(signCallback(body, [NEW], T - 300), body, [NEW], undefined, T)).toBe(true);
    expect(verify(signCallback(body, [NEW], T - 301), body, [NEW], undefined, T)).toBe(false);
    expect(verify(signCallback(body, [NEW], T + 301), body, [NEW], undefined, T)).toBe(false);
    const stale = signCallback(body, [NEW], Math.floor(Date.now() / 1000) - 600);
    expect(verify(stale, body, [NEW])).toBe(false);
    // Moving t forward breaks the signature: t is signed with the body.
    const moved = signCallback(body, [NEW], T - 600).replace(`t=${T - 600}`, `t=${T}`);
    expect(verify(moved, body, [NEW], 300, T)).toBe(false);
  });

  it('refuses missing and malformed headers', () => {
    const header = signCallback(body, [NEW], T);
    const v1 = header.split(',')[1];
    for (const bad of [
      undefined,
      '',
      'garbage',
      v1,
      `t=${T}`,
      `t=,${v1}`,
      `t=soon,${v1}`,
      `t=${T},t=${T},${v1}`,
      `t=${T},${v1.slice(0, -2)}`,
      `t=${T},${v1}00`,
      `t=${T},v2=${v1.slice(3)}`,
    ])
      expect(verify(bad, body, [NEW], 300, T)).toBe(false);
  });
});
