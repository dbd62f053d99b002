/**
 * Every relative link of README.md and docs/*.md resolves: the file (or folder) exists, and a
 * `#anchor` is a heading of the Markdown it points to, as GitHub anchors headings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { headingAnchors, markdownLinks } from '../support/markdown';
import { DOCS_PAGES } from '../../src/http/openapi-docs-links';

const ROOT = resolve(__dirname, '../..');

const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

const anchorsOf = new Map<string, Set<string>>();
function anchors(path: string): Set<string> {
  if (!anchorsOf.has(path)) anchorsOf.set(path, headingAnchors(readFileSync(path, 'utf8')));
  return anchorsOf.get(path)!;
}

/** Why a link from `page` (repo-relative) does not resolve, or undefined when it does. */
function brokenLink(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:…
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const file =
    pathPart === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURI(pathPart));
  if (!relative(ROOT, file) || relative(ROOT, file).startsWith('..'))
    return 'points outside the repository';
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) return `${relative(ROOT, file)} does not exist`;
  if (anchor === undefined) return undefined;
  if (!stat.isFile() || !file.endsWith('.md')) return `#${anchor} on a file that is not Markdown`;
  return anchors(file).has(anchor)
    ? undefined
    : `${relative(ROOT, file)} has no heading #${anchor}`;
}

describe('the links of README.md and docs/', () => {
  it('finds the pages and their links', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/operations.md']));
    expect(
      pages.flatMap((p) => markdownLinks(readFileSync(join(ROOT, p), 'utf8'))).length,
    ).toBeGreaterThan(10);
  });

  it('every relative link resolves: its file exists and its #anchor is a heading there', () => {
    const broken = pages.flatMap((page) =>
      markdownLinks(readFileSync(join(ROOT, page), 'utf8')).flatMap(({ target, line }) => {
        const why = brokenLink(page, target);
        return why ? [`${page}:${line} (${target}): ${why}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('every docs page Swagger UI links a route to (src/http/openapi-docs-links.ts) resolves', () => {
    const broken = DOCS_PAGES.flatMap(([prefix, page]) => {
      const why = brokenLink('docs/index', page);
      return why ? [`${prefix} → ${page}: ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('the check fails on a missing file, a missing heading, and honours GitHub slugs', () => {
    expect(brokenLink('README.md', 'docs/nowhere.md')).toBe('docs/nowhere.md does not exist');
    expect(brokenLink('docs/operations.md', '#no-such-heading')).toBe(
      'docs/operations.md has no heading #no-such-heading',
    );
    expect(brokenLink('docs/operations.md', '../README.md')).toBeUndefined();
    expect([...headingAnchors('# A `b` c/d (e)\n## Same\n## Same\n```\n# code\n```\n')]).toEqual([
      'a-b-cd-e',
      'same',
      'same-1',
    ]);
  });
});
