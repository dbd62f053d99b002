/**
 * Swagger UI's "Find more details here" link of each route, without DOCS_BASE_URL (the default,
 * and what `npm start` runs with): the link a reader clicks must lead somewhere, not to a 404 of
 * the gateway itself (issue #24: "Swagger UI links each route to its docs page").
 */
import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';

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
});
