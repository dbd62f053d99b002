import { loadConfiguration } from './configuration';
import { ConfigurationError } from './validate-config';

const SECRET = 's'.repeat(32);
const BASE = {
  PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
  PLIVO_AUTH_TOKEN: 'token',
  PLIVO_SENDER_NUMBER: '+14155550100',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/mms',
  NODE_ENV: 'test',
  API_KEYS: 'alpha:alpha-key-0123456789,beta:beta-key-0123456789',
  SENDER_NUMBERS: 'alpha:+14155550101,beta:+14155550102',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfiguration({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe('INBOUND_CALLBACK_URLS against the status callbacks settings', () => {
  it('accepts an entry whose client signs with the shared or its own secret', () => {
    const config = loadConfiguration({
      ...BASE,
      STATUS_CALLBACK_CLIENT_SECRETS: `beta:${SECRET}`,
      INBOUND_CALLBACK_URLS: 'beta:https://beta.example.com/in',
    });
    expect(config.senders.inboundCallbackUrls).toEqual({ beta: 'https://beta.example.com/in' });
    expect(
      problemsOf({
        STATUS_CALLBACK_SECRET: SECRET,
        INBOUND_CALLBACK_URLS: 'alpha:https://a.example.com/in,beta:https://b.example.com/in',
      }),
    ).toEqual([]);
  });

  it('refuses an entry for a client without a signing secret, naming the entry', () => {
    expect(
      problemsOf({
        STATUS_CALLBACK_CLIENT_SECRETS: `alpha:${SECRET}`,
        INBOUND_CALLBACK_URLS: 'alpha:https://a.example.com/in,beta:https://b.example.com/in',
      }),
    ).toEqual([
      'INBOUND_CALLBACK_URLS: entry 2: "beta" has no secret to sign with (STATUS_CALLBACK_SECRET, or a STATUS_CALLBACK_CLIENT_SECRETS entry for it): message.received events are signed',
    ]);
  });

  it('refuses a URL the callback address policy refuses, unless STATUS_CALLBACK_ALLOWED_HOSTS lists it', () => {
    const env = { STATUS_CALLBACK_SECRET: SECRET };
    expect(problemsOf({ ...env, INBOUND_CALLBACK_URLS: 'alpha:http://127.0.0.1:9000/in' })).toEqual(
      [expect.stringMatching(/^INBOUND_CALLBACK_URLS: entry 1: .*(private|loopback|public)/)],
    );
    expect(
      problemsOf({
        ...env,
        STATUS_CALLBACK_ALLOWED_HOSTS: '127.0.0.1:9000',
        INBOUND_CALLBACK_URLS: 'alpha:http://127.0.0.1:9000/in',
      }),
    ).toEqual([]);
    expect(
      problemsOf({
        ...env,
        MEDIA_ALLOW_HTTP: 'false',
        INBOUND_CALLBACK_URLS: 'alpha:http://a.example.com/in',
      }),
    ).toEqual(['INBOUND_CALLBACK_URLS: entry 1: only https URLs are allowed']);
  });

  it('refuses an entry for a client that owns no number (nothing would reach it)', () => {
    expect(
      problemsOf({
        API_KEYS: `${BASE.API_KEYS},gamma:gamma-key-0123456789`,
        STATUS_CALLBACK_SECRET: SECRET,
        INBOUND_CALLBACK_URLS: 'gamma:https://g.example.com/in',
      }),
    ).toEqual([
      `INBOUND_CALLBACK_URLS: entry 1: no number is "gamma"'s (SENDER_NUMBERS or INBOUND_CLIENTS): nothing would reach this URL`,
    ]);
    // INBOUND_CLIENTS makes a number its (the shared PLIVO_SENDER_NUMBER here).
    expect(
      problemsOf({
        API_KEYS: `${BASE.API_KEYS},gamma:gamma-key-0123456789`,
        INBOUND_CLIENTS: '+14155550100:gamma',
        STATUS_CALLBACK_SECRET: SECRET,
        INBOUND_CALLBACK_URLS: 'gamma:https://g.example.com/in',
      }),
    ).toEqual([]);
  });
});
