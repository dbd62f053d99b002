import { buildStatusCallbacksConfig } from './status-callbacks.config';
import { ConfigurationError } from './validate-config';

const SECRET = 'x'.repeat(32);

describe('buildStatusCallbacksConfig', () => {
  it('is off without a secret, with the documented defaults', () => {
    expect(buildStatusCallbacksConfig({})).toEqual({
      secrets: [],
      allowedHosts: [],
      defaultUrls: {},
      allowHttp: true,
      timeoutMs: 5000,
      retryBaseMs: 10_000,
      retryCapMs: 3_600_000,
      maxAgeMs: 86_400_000,
      pollMs: 1000,
      concurrency: 10,
      leaseMs: 15_000,
    });
  });

  it('reads several secrets (rotation), in order', () => {
    const other = 'y'.repeat(40);
    expect(
      buildStatusCallbacksConfig({ STATUS_CALLBACK_SECRET: `${SECRET}, ${other}` }).secrets,
    ).toEqual([SECRET, other]);
  });

  it('refuses a short secret, naming its position and never its text', () => {
    let error: unknown;
    try {
      buildStatusCallbacksConfig({ STATUS_CALLBACK_SECRET: `${SECRET},short-secret-text` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/secret 2 is shorter than 32 characters/);
    expect((error as Error).message).not.toContain('short-secret-text');
  });

  it('lower-cases allowed hosts and refuses entries that are not host:port', () => {
    expect(
      buildStatusCallbacksConfig({
        STATUS_CALLBACK_ALLOWED_HOSTS: 'Hooks.Internal:8443, 127.0.0.1:9000',
      }).allowedHosts,
    ).toEqual(['hooks.internal:8443', '127.0.0.1:9000']);
    expect(() =>
      buildStatusCallbacksConfig({ STATUS_CALLBACK_ALLOWED_HOSTS: 'hooks.internal' }),
    ).toThrow(/"hooks.internal" is not host:port/);
    expect(() =>
      buildStatusCallbacksConfig({ STATUS_CALLBACK_ALLOWED_HOSTS: 'http://a:1' }),
    ).toThrow(ConfigurationError);
  });

  it('reads client defaults as name:url (the URL keeps its own colons)', () => {
    const config = buildStatusCallbacksConfig({
      STATUS_CALLBACK_SECRET: SECRET,
      STATUS_CALLBACK_URLS:
        'team:https://hooks.example.com:8443/mms, ops:https://ops.example.com/s',
    });
    expect(config.defaultUrls).toEqual({
      team: 'https://hooks.example.com:8443/mms',
      ops: 'https://ops.example.com/s',
    });
  });

  it('checks default URLs at boot by the request policy, allowed hosts included', () => {
    const blocked = (env: Record<string, string>) => () =>
      buildStatusCallbacksConfig({ STATUS_CALLBACK_SECRET: SECRET, ...env });
    expect(blocked({ STATUS_CALLBACK_URLS: 'team:http://10.0.0.5/hook' })).toThrow(
      /entry for "team": 10.0.0.5 is not a public address/,
    );
    expect(
      blocked({ NODE_ENV: 'production', STATUS_CALLBACK_URLS: 'team:http://hooks.example.com/' }),
    ).toThrow(/only https URLs are allowed/);
    expect(blocked({ STATUS_CALLBACK_URLS: 'https://hooks.example.com/' })).toThrow(
      /STATUS_CALLBACK_URLS: entry for "https"/,
    );
    expect(
      blocked({
        STATUS_CALLBACK_URLS: 'team:http://10.0.0.5:8080/hook',
        STATUS_CALLBACK_ALLOWED_HOSTS: '10.0.0.5:8080',
      })().defaultUrls,
    ).toEqual({ team: 'http://10.0.0.5:8080/hook' });
  });

  it('refuses default URLs without a secret (callbacks are always signed)', () => {
    expect(() =>
      buildStatusCallbacksConfig({ STATUS_CALLBACK_URLS: 'team:https://hooks.example.com/' }),
    ).toThrow(/set without STATUS_CALLBACK_SECRET/);
  });

  it('follows MEDIA_ALLOW_HTTP, and bounds the timings', () => {
    expect(buildStatusCallbacksConfig({ NODE_ENV: 'production' }).allowHttp).toBe(false);
    expect(buildStatusCallbacksConfig({ MEDIA_ALLOW_HTTP: 'false' }).allowHttp).toBe(false);
    expect(buildStatusCallbacksConfig({ STATUS_CALLBACK_TIMEOUT_MS: '2000' }).leaseMs).toBe(12_000);
    expect(() => buildStatusCallbacksConfig({ STATUS_CALLBACK_MAX_AGE_MS: '10' })).toThrow(
      /STATUS_CALLBACK_MAX_AGE_MS/,
    );
    expect(() => buildStatusCallbacksConfig({ STATUS_CALLBACK_POLL_MS: 'soon' })).toThrow(
      /STATUS_CALLBACK_POLL_MS/,
    );
  });
});
