/**
 * Swagger UI's "Find more details here" link of each route, without DOCS_BASE_URL (the default,
 * and what `npm start` runs with): the link a reader clicks must lead somewhere, not to a 404 of
 * the gateway itself (issue #24: "Swagger UI links each route to its docs page").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';

const DOCS = join(__dirname, '..', '..', 'docs');

/** GET a raw path (no client-side normalisation of `..` or encodings). */
async function getRaw(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${baseUrl}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('Swagger UI docs links without DOCS_BASE_URL (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it("POST /send-mms's docs link, as Swagger UI at /docs resolves it, is a page that exists", async () => {
    const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
    const link: string = doc.paths['/send-mms'].post.externalDocs.url;
    // A relative href resolves against the page showing it: Swagger UI at /docs.
    const target = new URL(link, `${t.baseUrl}/docs`);
    if (target.origin === new URL(t.baseUrl).origin) {
      const res = await fetch(target);
      expect([target.pathname, res.status]).toEqual([target.pathname, 200]);
    } else {
      expect(target.protocol).toBe('https:');
    }
  });

  it('every route links a page the gateway serves, as Markdown, the file of docs/ itself', async () => {
    const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
    const links = new Set<string>();
    for (const item of Object.values(doc.paths as Record<string, Record<string, unknown>>))
      for (const operation of Object.values(item))
        links.add((operation as { externalDocs: { url: string } }).externalDocs.url);
    expect(links.size).toBeGreaterThan(5);
    for (const link of links) {
      expect(link).toMatch(/^\/docs\/pages\/[a-z-]+\.md#[a-z0-9-]+$/);
      const res = await request(t.baseUrl).get(new URL(link, t.baseUrl).pathname);
      expect([link, res.status, res.headers['content-type']]).toEqual([
        link,
        200,
        'text/markdown; charset=utf-8',
      ]);
      const file = /^\/docs\/pages\/([^#]+)/.exec(link)![1];
      expect(res.text).toBe(readFileSync(join(DOCS, file), 'utf8'));
    }
  });

  it('serves only the .md files of docs/ itself: traversal, other files and other methods get the usual errors', async () => {
    // (Nest's Swagger serves swagger-ui-dist's own files under /docs/, one level up: the
    // traversals below aim at the repository, two levels up.)
    for (const path of [
      '/docs/pages/..%2F..%2Fpackage.json',
      '/docs/pages/..%2F..%2F.env.example',
      '/docs/pages/%2e%2e%2f%2e%2e%2fREADME.md',
      '/docs/pages/..%5C..%5CREADME.md',
      '/docs/pages/%2Fetc%2Fpasswd',
      '/docs/pages/nope.md',
      '/docs/pages/api',
      '/docs/pages/API.MD',
      '/docs/pages/api.md%00.txt',
      '/docs/pages/.',
      '/docs/pages/',
    ]) {
      const res = await getRaw(t.baseUrl, path);
      expect([path, res.status]).toEqual([path, 404]);
      expect([path, JSON.parse(res.body).code]).toEqual([path, 'NOT_FOUND']);
    }
    // Normalised by the URL parser before it leaves: /docs/README.md, not a page either.
    expect((await getRaw(t.baseUrl, '/docs/pages/../../README.md')).status).toBe(404);
    const post = await request(t.baseUrl).post('/docs/pages/api.md').expect(405);
    expect([post.body.code, post.headers.allow]).toEqual(['METHOD_NOT_ALLOWED', 'GET, HEAD']);
  });
});
