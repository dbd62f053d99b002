import { sha256 } from '../shared/crypto';
import { buildHttpConfig } from './http.config';
import { ConfigurationError } from './validate-config';

const TOKEN = 'metrics-token-0123456789abcdef';

function problemsOf(env: Record<string, string>): string[] {
  try {
    buildHttpConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('buildHttpConfig: /metrics and /docs', () => {
  it('production: METRICS_TOKEN is required while metrics are on, named in the refusal', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'METRICS_TOKEN: required in production while METRICS_ENABLED is not false (Prometheus sends it as Authorization: Bearer <token>)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', METRICS_ENABLED: 'true' })).toHaveLength(1);
    expect(buildHttpConfig({ NODE_ENV: 'production', METRICS_ENABLED: 'false' })).toMatchObject({
      metricsEnabled: false,
      metricsTokenDigest: undefined,
    });
    const config = buildHttpConfig({ NODE_ENV: 'production', METRICS_TOKEN: TOKEN });
    expect(config.metricsTokenDigest).toEqual(sha256(TOKEN));
  });

  it('METRICS_TOKEN: optional outside production (open /metrics), at least 16 characters anywhere', () => {
    for (const NODE_ENV of ['development', 'test'])
      expect(buildHttpConfig({ NODE_ENV }).metricsTokenDigest).toBeUndefined();
    for (const METRICS_TOKEN of ['short', 'has a space in it 0123'])
      expect(problemsOf({ NODE_ENV: 'development', METRICS_TOKEN })).toEqual([
        'METRICS_TOKEN: must be at least 16 characters, without spaces',
      ]);
  });

  it('DOCS_ENABLED: off by default in production, on elsewhere; either way when set', () => {
    const docs = (env: Record<string, string>) => buildHttpConfig(env).docsEnabled;
    const production = { NODE_ENV: 'production', METRICS_TOKEN: TOKEN };
    expect(docs(production)).toBe(false);
    expect(docs({ ...production, DOCS_ENABLED: 'true' })).toBe(true);
    expect(docs({ NODE_ENV: 'development' })).toBe(true);
    expect(docs({ NODE_ENV: 'development', DOCS_ENABLED: 'false' })).toBe(false);
  });

  it('DOCS_BASE_URL: an http(s) URL, read as a folder (a trailing slash added); else refused by name', () => {
    const base = (env: Record<string, string>) => buildHttpConfig(env).docsBaseUrl;
    expect(base({})).toBeUndefined();
    expect(base({ DOCS_BASE_URL: 'https://example.com/repo/blob/main/docs' })).toBe(
      'https://example.com/repo/blob/main/docs/',
    );
    expect(base({ DOCS_BASE_URL: 'https://example.com/docs/' })).toBe('https://example.com/docs/');
    expect(() => buildHttpConfig({ DOCS_BASE_URL: 'docs/' })).toThrow(/DOCS_BASE_URL/);
  });
});
