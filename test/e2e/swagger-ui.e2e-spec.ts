/**
 * Swagger UI at /docs in a real browser (Debian's chromium driven by playwright-core): it renders
 * under our helmet Content-Security-Policy, and its Authorize button works with the API-key
 * scheme: an unauthorized "Try it out" shows 401, the same call after Authorize shows 200 and
 * the browser sent X-API-Key.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); no browser is ever downloaded.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/test-app';
import { readmeSeedRequest } from '../support/readme-seed';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'swagger-ui-key-0123456789abcdef';
const SCREENSHOT = '/tmp/swagger-ui.png';
const DOCS_BASE_URL = 'https://docs.example.test/gateway/docs/';

interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

describe('Swagger UI in a browser (e2e)', () => {
  let t: TestApp | undefined;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  const apiRequests: SentRequest[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: this test needs a real browser. ` +
          'Install it with `apt-get update && apt-get install -y chromium` (as root).',
      );
    t = await createTestApp({ API_KEYS: KEY, DOCS_BASE_URL });
    userDataDir = mkdtempSync(join(tmpdir(), 'swagger-ui-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10000);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === '/messages')
        apiRequests.push({ method: r.method(), url: r.url(), headers: r.headers() });
    });
  });

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Console errors other than the 401 the unauthorized "Execute" is meant to get. */
  const unexpectedErrors = (): string[] =>
    consoleErrors.filter(
      (e) => !/^Failed to load resource: .*status of 401 \(Unauthorized\)$/.test(e),
    );

  /** The GET /messages operation block (not GET /messages/{id}). */
  const listMessages = (): Locator =>
    page.locator('.opblock.opblock-get').filter({
      has: page.locator('.opblock-summary-path[data-path="/messages"]'),
    });

  /** The status code of the live response Swagger UI shows for GET /messages. */
  const shownStatus = (): Locator =>
    listMessages().locator('.live-responses-table tbody .response-col_status');

  it('renders /docs under our CSP, with the operations and the Authorize button', async () => {
    const res = await page.goto(`${t!.baseUrl}/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    // Swagger UI rendered the document: the POST /send-mms operation is visible.
    await page.locator('.opblock-summary-path[data-path="/send-mms"]').first().waitFor();
    await expect(page.locator('.info .title').innerText()).resolves.toContain('Plivo MMS gateway');
    await expect(page.locator('.auth-wrapper .btn.authorize').isVisible()).resolves.toBe(true);
    // Nothing refused by the Content-Security-Policy, no script errors.
    expect(consoleErrors).toEqual([]);
  });

  it('without authorizing, "Try it out" → Execute on GET /messages shows 401', async () => {
    await listMessages().locator('.opblock-summary').click();
    await listMessages().getByRole('button', { name: 'Try it out' }).click();
    await listMessages().getByRole('button', { name: 'Execute' }).click();
    await shownStatus().first().waitFor();
    await expect(shownStatus().first().innerText()).resolves.toBe('401');
    await expect(
      listMessages().locator('.live-responses-table tbody .response-col_description').innerText(),
    ).resolves.toContain('MISSING_API_KEY');
    expect(apiRequests).toHaveLength(1);
    expect(apiRequests[0].headers['x-api-key']).toBeUndefined();
    expect(unexpectedErrors()).toEqual([]);
  });

  it('Authorize with the api-key scheme, then Execute → 200, and the browser sent X-API-Key', async () => {
    await page.locator('.auth-wrapper .btn.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor();
    const apiKeyForm = dialog
      .locator('.auth-container')
      .filter({ has: page.locator('h4', { hasText: 'api-key (apiKey)' }) });
    await expect(apiKeyForm.count()).resolves.toBe(1);
    await expect(apiKeyForm.innerText()).resolves.toContain('X-API-Key');
    await apiKeyForm.locator('input').fill(KEY);
    await apiKeyForm.locator('button.authorize', { hasText: 'Authorize' }).click();
    // Swagger UI confirms the scheme is authorized: the form now offers Logout.
    await apiKeyForm.locator('button', { hasText: 'Logout' }).waitFor();
    await apiKeyForm.locator('button.btn-done', { hasText: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    const before = apiRequests.length;
    await listMessages().getByRole('button', { name: 'Execute' }).click();
    // The live response is replaced by the new one: wait until it shows 200.
    await shownStatus().filter({ hasText: /^200$/ }).waitFor();
    await expect(shownStatus().first().innerText()).resolves.toBe('200');
    await expect(
      listMessages().locator('.live-responses-table tbody .response-col_description').innerText(),
    ).resolves.toContain('"items"');

    const sent = apiRequests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].method).toBe('GET');
    expect(sent[0].headers['x-api-key']).toBe(KEY);

    await listMessages().locator('.live-responses-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(unexpectedErrors()).toEqual([]);
  });

  it("POST /send-mms links its docs page and shows the README's seed request as its example", async () => {
    const sendMms = page.locator('.opblock.opblock-post').filter({
      has: page.locator('.opblock-summary-path[data-path="/send-mms"]'),
    });
    await sendMms.locator('.opblock-summary').click();
    const link = sendMms.locator('.opblock-external-docs-wrapper a');
    await link.waitFor();
    await expect(link.getAttribute('href')).resolves.toBe(`${DOCS_BASE_URL}api.md#post-send-mms`);
    // The example Swagger UI shows (and "Try it out" fills in) is the first one: the seed's.
    const example = sendMms.locator('.opblock-section-request-body .highlight-code').first();
    await example.waitFor();
    expect(JSON.parse(await example.innerText())).toEqual(readmeSeedRequest());
    expect(unexpectedErrors()).toEqual([]);
  });
});
