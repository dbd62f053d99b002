import { buildStatusCallbacksConfig, signingSecretsFor } from './status-callbacks.config';
import { ConfigurationError } from './validate-config';

const SECRET = 'x'.repeat(32);

describe('buildStatusCallbacksConfig', () => {
  it('is off without a secret, with the documented defaults', () => {
    expect(buildStatusCallbacksConfig({})).toEqual({
      secrets: [],
      clientSecrets: new Map(),
      allowedHosts: [],
      defaultUrls: new Map(),
      allowHttp: true,
      timeoutMs: 5000,
      retryBaseMs: 10_000,
      retryCapMs: 3_600_000,
      maxAgeMs: 86_400_000,
      pollMs: 1000,
      concurrency: 10,
      hostConcurrency: 2,
      clientConcurrency: 5,
      leaseMs: 15_000,
    });
  });

  it('caps one host at STATUS_CALLBACK_HOST_CONCURRENCY lanes, never more than there are lanes', () => {
    expect(
      buildStatusCallbacksConfig({ STATUS_CALLBACK_HOST_CONCURRENCY: '3' }).hostConcurrency,
    ).toBe(3);
    // The default (2) with a single lane: that lane.
    expect(buildStatusCallbacksConfig({ STATUS_CALLBACK_CONCURRENCY: '1' }).hostConcurrency).toBe(
      1,
    );
    expect(() =>
      buildStatusCallbacksConfig({
        STATUS_CALLBACK_CONCURRENCY: '4',
        STATUS_CALLBACK_HOST_CONCURRENCY: '5',
      }),
    ).toThrow(/STATUS_CALLBACK_HOST_CONCURRENCY: 5 is more than STATUS_CALLBACK_CONCURRENCY \(4\)/);
    expect(() => buildStatusCallbacksConfig({ STATUS_CALLBACK_HOST_CONCURRENCY: '0' })).toThrow(
      /STATUS_CALLBACK_HOST_CONCURRENCY/,
    );
  });

  it('caps one client at STATUS_CALLBACK_CLIENT_CONCURRENCY lanes: by default half of them, at least the host cap, at most all', () => {
    const clientCap = (env: Record<string, string>) =>
      buildStatusCallbacksConfig(env).clientConcurrency;
    expect(clientCap({ STATUS_CALLBACK_CLIENT_CONCURRENCY: '3' })).toBe(3);
    expect(clientCap({ STATUS_CALLBACK_CONCURRENCY: '4' })).toBe(2);
    expect(clientCap({ STATUS_CALLBACK_CONCURRENCY: '5' })).toBe(3);
    expect(clientCap({ STATUS_CALLBACK_CONCURRENCY: '1' })).toBe(1);
    // Half of 10 is 5, but the host cap is 8: a client with one endpoint may use it.
    expect(clientCap({ STATUS_CALLBACK_HOST_CONCURRENCY: '8' })).toBe(8);
    expect(() =>
      buildStatusCallbacksConfig({
        STATUS_CALLBACK_CONCURRENCY: '4',
        STATUS_CALLBACK_CLIENT_CONCURRENCY: '5',
      }),
    ).toThrow(
      /STATUS_CALLBACK_CLIENT_CONCURRENCY: 5 is more than STATUS_CALLBACK_CONCURRENCY \(4\)/,
    );
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => buildStatusCallbacksConfig({ STATUS_CALLBACK_CLIENT_CONCURRENCY: bad })).toThrow(
        /STATUS_CALLBACK_CLIENT_CONCURRENCY/,
      );
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
    expect(Object.fromEntries(config.defaultUrls)).toEqual({
      team: 'https://hooks.example.com:8443/mms',
      ops: 'https://ops.example.com/s',
    });
    // A client named like an Object.prototype member is just a name.
    expect(config.defaultUrls.get('constructor')).toBeUndefined();
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
      })().defaultUrls.get('team'),
    ).toBe('http://10.0.0.5:8080/hook');
  });

  it('refuses default URLs without a secret (callbacks are always signed)', () => {
    expect(() =>
      buildStatusCallbacksConfig({ STATUS_CALLBACK_URLS: 'team:https://hooks.example.com/' }),
    ).toThrow(/no STATUS_CALLBACK_SECRET nor a STATUS_CALLBACK_CLIENT_SECRETS entry/);
  });

  it("reads clients' own secrets (one client's callbacks cannot be forged by another), rotation included", () => {
    const team1 = 't'.repeat(32);
    const team2 = 'u'.repeat(33);
    const config = buildStatusCallbacksConfig({
      STATUS_CALLBACK_SECRET: SECRET,
      STATUS_CALLBACK_CLIENT_SECRETS: `team:${team1}, team:${team2}, ops:${'o'.repeat(40)}`,
    });
    expect(signingSecretsFor(config, 'team')).toEqual([team1, team2]);
    expect(signingSecretsFor(config, 'ops')).toEqual(['o'.repeat(40)]);
    expect(signingSecretsFor(config, 'shop')).toEqual([SECRET]);
    expect(signingSecretsFor(config, undefined)).toEqual([SECRET]);
    // A client with its own secret needs no shared one for its default URL.
    expect(
      buildStatusCallbacksConfig({
        STATUS_CALLBACK_CLIENT_SECRETS: `team:${team1}`,
        STATUS_CALLBACK_URLS: 'team:https://hooks.example.com/',
      }).defaultUrls.get('team'),
    ).toBe('https://hooks.example.com/');
    let error: unknown;
    try {
      buildStatusCallbacksConfig({ STATUS_CALLBACK_CLIENT_SECRETS: 'team:short-text,nocolon' });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(/entry 1's secret is shorter than 32/);
    expect((error as Error).message).toMatch(/entry 2 is not name:secret/);
    expect((error as Error).message).not.toContain('short-text');
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
