/**
 * What the docs tests read of Markdown: headings as GitHub anchors them, relative links, and
 * Mermaid blocks. Fenced code is skipped everywhere but in mermaidBlocks.
 */

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a dash. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { line: string; number: number }[] {
  const lines: { line: string; number: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, i) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) lines.push({ line, number: i + 1 });
  });
  return lines;
}

/** Every heading's anchor; a repeated heading gets -1, -2… as on GitHub. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

export interface MarkdownLink {
  target: string;
  line: number;
}

/** Inline links and images `[text](target)` and reference definitions, outside code. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, number } of proseLines(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ target: m[1], line: number });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (definition) links.push({ target: definition[1], line: number });
  }
  return links;
}

/** The bodies of the ```mermaid blocks, in order. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([^]*?)^```/gm)].map((m) => m[1]);
}

/** A flowchart's edges `a --> b & c` as "a → b", "a → c", by node label (`id["label"]`). */
export function flowchartEdges(mermaid: string): { nodes: string[]; edges: string[] } {
  const labels = new Map<string, string>();
  for (const m of mermaid.matchAll(/^\s*(\w+)\["([^"]+)"\]\s*$/gm)) labels.set(m[1], m[2]);
  const label = (id: string): string => labels.get(id) ?? `(undeclared ${id})`;
  const edges: string[] = [];
  for (const m of mermaid.matchAll(/^\s*(\w+)\s*-->\s*(.+?)\s*$/gm))
    for (const to of m[2].split('&')) edges.push(`${label(m[1])} → ${label(to.trim())}`);
  return { nodes: [...labels.values()], edges };
}
