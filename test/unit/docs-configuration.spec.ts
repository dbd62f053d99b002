/**
 * docs/configuration.md says it lists "every environment variable, its default and meaning"
 * (README's map of docs/): each variable of .env.example has a row there, and one row only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The variables `.env.example` documents (`NAME=` lines). */
function exampleVariables(): string[] {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  return [...new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))];
}

/** The variables each row of docs/configuration.md's table names in its first cell. */
function documentedRows(): string[][] {
  const text = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
}

describe('docs/configuration.md against .env.example', () => {
  const variables = exampleVariables();
  const rows = documentedRows();

  it('finds the variables and the table', () => {
    expect(variables.length).toBeGreaterThan(60);
    expect(rows.length).toBeGreaterThan(40);
  });

  it('has a row for every variable of .env.example', () => {
    const documented = new Set(rows.flat());
    expect(variables.filter((v) => !documented.has(v))).toEqual([]);
  });

  it('gives each variable one row', () => {
    const seen = rows.flat();
    expect([...new Set(seen.filter((v, i) => seen.indexOf(v) !== i))]).toEqual([]);
  });
});
