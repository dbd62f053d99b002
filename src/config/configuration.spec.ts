import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfiguration } from './configuration';
import { ConfigurationError } from './validate-config';

const VALID = {
  PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
  PLIVO_AUTH_TOKEN: 'token',
  PLIVO_SENDER_NUMBER: '+14155550100',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/mms',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfiguration(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadConfiguration', () => {
  it('takes blank variables as not set: .env.example as it is, plus the stand-ins, loads with the defaults', () => {
    const example = parseEnv(readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8'));
    const config = loadConfiguration({ ...example, ...VALID });
    expect(config.app.port).toBe(3000);
    expect(config.app.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.http.throttle.redisUrl).toBeUndefined();
    expect(config.plivo.apiUrl).toBe('https://api.plivo.com');
    expect(config.send.mediaPreflightTimeoutMs).toBe(3000);
  });

  it('reports every invalid variable of every namespace in one error', () => {
    const problems = problemsOf({
      ...VALID,
      SERVER_PORT: 'eighty',
      PUBLIC_BASE_URL: 'not a url',
      PLIVO_SENDER_NUMBER: '555-0100',
      REDIS_URL: 'http://redis',
      MONGODB_URI: 'postgres://db',
    });
    const named = problems.map((p) => p.split(':')[0]).sort();
    expect(named).toEqual(
      ['MONGODB_URI', 'PLIVO_SENDER_NUMBER', 'PUBLIC_BASE_URL', 'REDIS_URL', 'SERVER_PORT'].sort(),
    );
  });

  it('names missing required variables', () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'PLIVO_AUTH_ID',
        'PLIVO_AUTH_TOKEN',
        'PLIVO_SENDER_NUMBER',
        'MONGODB_URI',
      ]),
    );
  });

  it("carries the sandbox's state in, not through process.env", () => {
    const config = loadConfiguration(VALID, { plivo: true, database: false });
    expect(config.app.sandbox).toEqual({ plivo: true, database: false });
    expect(loadConfiguration(VALID).app.sandbox).toEqual({
      plivo: false,
      database: false,
      openAccessAdmin: false,
    });
  });
});
