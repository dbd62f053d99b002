import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The page of docs/ that documents each route, by path prefix (the first that matches): Swagger
 * UI shows it as the operation's "Find more details here" link. test/unit/docs-links.spec.ts
 * checks that each page and heading exists; platform.e2e-spec.ts that every route has one.
 */
export const DOCS_PAGES: [prefix: string, page: string][] = [
  ['/send-mms', 'api.md#post-send-mms'],
  ['/messages/{id}/cancel', 'dispatch.md#scheduling-cancel-expiry-and-pacing'],
  ['/messages', 'api.md#get-messagesid-and-get-messages'],
  ['/campaigns', 'dispatch.md#campaigns'],
  ['/senders', 'dispatch.md#sender-numbers'],
  ['/opt-outs', 'opt-outs.md#opt-outs'],
  ['/webhooks/plivo', 'api.md#status-and-webhooks-called-by-plivo'],
  ['/health', 'operations.md#health-metrics-shutdown'],
  ['/metrics', 'operations.md#health-metrics-shutdown'],
];

/** The docs page of a route (repo-relative, under docs/), if the table names one. */
export function docsPageOf(path: string): string | undefined {
  return DOCS_PAGES.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
}

/**
 * Links each operation to its docs page, `<baseUrl><page>`: where DOCS_BASE_URL says docs/ is
 * published (a repository's docs/ folder, a docs site), else the gateway's own copy
 * (src/http/docs-pages.ts). No base (no DOCS_BASE_URL, and a build without docs/): no links,
 * rather than links that lead nowhere.
 */
export function linkDocsPages(document: OpenAPIObject, baseUrl: string | undefined): OpenAPIObject {
  if (baseUrl === undefined) return document;
  for (const [path, item] of Object.entries(document.paths)) {
    const page = docsPageOf(path);
    if (!page) continue;
    for (const operation of [item.get, item.put, item.post, item.delete, item.patch])
      if (operation)
        operation.externalDocs = { description: `docs/${page}`, url: `${baseUrl}${page}` };
  }
  return document;
}
