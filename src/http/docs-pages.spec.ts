import type { OpenAPIObject } from '@nestjs/swagger';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCS_DIR, readDocsPages, servedDocsBase } from './docs-pages';
import { linkDocsPages } from './openapi-docs-links';

const document = (): OpenAPIObject => ({
  openapi: '3.0.0',
  info: { title: 't', version: '1' },
  paths: { '/send-mms': { post: { responses: {} } } },
});

describe('readDocsPages', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docs-pages-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the repository's docs/ from where this file is (src/http/ or dist/http/)", () => {
    const pages = readDocsPages();
    expect([...pages.keys()].sort()).toEqual(
      readdirSync(DOCS_DIR)
        .filter((f) => f.endsWith('.md'))
        .sort(),
    );
    expect(pages.get('api.md')?.toString()).toMatch(/^# /);
  });

  it('takes the top-level .md files only: no subfolders, other files or hidden names', () => {
    writeFileSync(join(dir, 'api.md'), '# API');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, '.hidden.md'), 'x');
    mkdirSync(join(dir, 'sub.md'));
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'nested', 'deep.md'), 'x');
    expect([...readDocsPages(dir)].map(([name, text]) => [name, text.toString()])).toEqual([
      ['api.md', '# API'],
    ]);
  });

  it('is empty when the build has no docs/ folder', () => {
    expect(readDocsPages(join(dir, 'absent')).size).toBe(0);
  });
});

describe('the default base of the docs links', () => {
  it("is the served pages' path, under PUBLIC_BASE_URL's path (a proxy's prefix)", () => {
    expect(servedDocsBase('http://localhost:3000')).toBe('/docs/pages/');
    expect(servedDocsBase('https://api.example.com/mms/')).toBe('/mms/docs/pages/');
  });

  it('without one (no DOCS_BASE_URL, no docs/ in the build), routes get no link rather than a dead one', () => {
    const doc = linkDocsPages(document(), undefined);
    expect(doc.paths['/send-mms'].post?.externalDocs).toBeUndefined();
    expect(linkDocsPages(document(), '/docs/pages/').paths['/send-mms'].post?.externalDocs).toEqual(
      { description: 'docs/api.md#post-send-mms', url: '/docs/pages/api.md#post-send-mms' },
    );
  });
});
