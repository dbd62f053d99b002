/**
 * docs/configuration.md says it lists "every environment variable, its default and meaning"
 * (README's map of docs/): each variable of .env.example has a row there, and one row only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The variables `.env.example` documents (`NAME=` lines). */
function exampleVariables(): string[] {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  return [...new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))];
}

/**
 * The variables the config namespaces in src/config read: the validated properties of their
 * `…Env` classes (`  NAME?: type;`) and any `env.NAME` read directly.
 */
function configVariables(): string[] {
  const dir = join(ROOT, 'src', 'config');
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .flatMap((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return [
        ...[...text.matchAll(/^ {2}([A-Z][A-Z0-9_]*)\??: /gm)].map((m) => m[1]),
        ...[...text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]),
      ];
    });
  return [...new Set(names)];
}

/** Read by the config but deliberately without a `NAME=` line of its own in .env.example. */
const NAMED_IN_A_COMMENT = {
  // The platform convention (Heroku, Cloud Run…), a fallback named in SERVER_PORT's comment.
  PORT: /PORT is honoured/,
};

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

  it('has in .env.example every variable the config namespaces in src/config read', () => {
    const read = configVariables();
    expect(read.length).toBeGreaterThan(60);
    const example = new Set(variables);
    const missing = read.filter((v) => !example.has(v) && !(v in NAMED_IN_A_COMMENT));
    expect(missing).toEqual([]);
    const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const pattern of Object.values(NAMED_IN_A_COMMENT)) expect(text).toMatch(pattern);
  });
});
