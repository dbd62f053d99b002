import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The repository's docs/ folder: two levels up from this file both in src/http/ (ts-node) and
 * in dist/http/ (the build), so /app/docs in the image (the Dockerfile copies it there).
 */
export const DOCS_DIR = join(__dirname, '..', '..', 'docs');

/** Where the gateway serves docs/ (beside Swagger UI at /docs), ending in `/`. */
export const DOCS_PAGES_PATH = '/docs/pages/';

/** A page's file name: a plain name in the folder itself, never a path. */
const PAGE_NAME = /^[A-Za-z0-9][\w-]*\.md$/;

/**
 * The Markdown pages at the top of a docs folder, by file name, read once; empty when the
 * folder is absent (a build shipped without it).
 */
export function readDocsPages(dir: string = DOCS_DIR): Map<string, Buffer> {
  if (!existsSync(dir)) return new Map();
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && PAGE_NAME.test(entry.name))
    .map((entry) => entry.name);
  return new Map(names.map((name) => [name, readFileSync(join(dir, name))]));
}

/**
 * GET /docs/pages/<file>.md: one of `pages`, as text/markdown, so Swagger UI's link of each route
 * leads to its page without DOCS_BASE_URL. A name is looked up among the files read at start,
 * never joined to a path, so nothing outside them (`..`, encoded slashes, other files) can be
 * reached; an unknown name falls through to the app's 404.
 */
export function serveDocsPages(app: NestExpressApplication, pages: Map<string, Buffer>): void {
  const express = app.getHttpAdapter().getInstance() as Express;
  express.get(`${DOCS_PAGES_PATH}:file`, (req: Request, res: Response, next: NextFunction) => {
    const page = pages.get(String(req.params.file));
    if (page === undefined) return next();
    res.type('text/markdown; charset=utf-8').send(page);
  });
}

/**
 * The default base of Swagger UI's docs links: the pages served above, under PUBLIC_BASE_URL's
 * path (a proxy's prefix), as a path so that it resolves on whichever host shows Swagger UI.
 */
export function servedDocsBase(publicBaseUrl: string): string {
  return `${new URL(publicBaseUrl).pathname.replace(/\/$/, '')}${DOCS_PAGES_PATH}`;
}
