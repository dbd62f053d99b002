import { buildClientsConfig } from './clients.config';
import { buildSendersConfig, optOutScopeOf, poolOfClient } from './senders.config';
import { ConfigurationError } from './validate-config';

const DEFAULT = '+14155550100';
const clients = buildClientsConfig({
  API_KEYS: 'alpha:alpha-key-0123456789,beta:beta-key-0123456789',
  ADMIN_API_KEYS: 'ops:ops-key-0123456789',
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    buildSendersConfig(env, clients, DEFAULT);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe('SENDER_NUMBERS, INBOUND_CALLBACK_URLS, OPT_OUT_SCOPE', () => {
  it('gives each named client its pool and everyone else PLIVO_SENDER_NUMBER', () => {
    const config = buildSendersConfig(
      { SENDER_NUMBERS: 'alpha:+14155550101|+12125550102, beta:+14155550103' },
      clients,
      DEFAULT,
    );
    expect(poolOfClient(config, 'alpha')).toEqual(['+14155550101', '+12125550102']);
    expect(poolOfClient(config, 'beta')).toEqual(['+14155550103']);
    expect(poolOfClient(config, 'ops')).toEqual([DEFAULT]);
    expect(config.owners).toEqual({
      '+14155550101': 'alpha',
      '+12125550102': 'alpha',
      '+14155550103': 'beta',
    });
    expect(config.optOutScope).toBe('pool');
  });

  it('scopes opt-outs to the pool by default, to the number on request', () => {
    const env = { SENDER_NUMBERS: 'alpha:+14155550101|+12125550102' };
    const pool = buildSendersConfig(env, clients, DEFAULT);
    expect(optOutScopeOf(pool, '+12125550102')).toEqual(['+14155550101', '+12125550102']);
    expect(optOutScopeOf(pool, DEFAULT)).toEqual([DEFAULT]);
    expect(optOutScopeOf(pool, '+13105550199')).toEqual(['+13105550199']);
    const number = buildSendersConfig({ ...env, OPT_OUT_SCOPE: 'number' }, clients, DEFAULT);
    expect(optOutScopeOf(number, '+12125550102')).toEqual(['+12125550102']);
  });

  it.each([
    [
      'alpha:+14155550101,beta:+14155550101',
      /entry 2, number 1: \+14155550101 is already in the pool of "alpha"/,
    ],
    ['alpha:+14155550101|+14155550101', /entry 1, number 2: .* already in the pool of "alpha"/],
    ['alpha:555-0101', /entry 1, number 1: "555-0101" is not a valid E.164 number/],
    ['nobody:+14155550101', /entry 1: "nobody" is not a client named in API_KEYS/],
    ['alpha:', /entry 1: the pool of "alpha" is empty/],
    ['+14155550101', /entry 1: not name:\+E164/],
    [`alpha:${DEFAULT}`, /entry 1, number 1: \+14155550100 is PLIVO_SENDER_NUMBER/],
    ['alpha:+14155550101,alpha:+14155550102', /entry 2: "alpha" already has a pool/],
  ])('refuses SENDER_NUMBERS=%s, naming the entry', (value, problem) => {
    expect(problemsOf({ SENDER_NUMBERS: value })).toEqual([expect.stringMatching(problem)]);
  });

  it.each([
    ['alpha:ftp://x.example/in', /INBOUND_CALLBACK_URLS: entry 1: not name:http/],
    ['nobody:https://x.example/in', /entry 1: "nobody" is not a client/],
    ['alpha:https://a.example,alpha:https://b.example', /entry 2: "alpha" already has a URL/],
  ])('refuses INBOUND_CALLBACK_URLS=%s', (value, problem) => {
    expect(problemsOf({ INBOUND_CALLBACK_URLS: value })).toEqual([expect.stringMatching(problem)]);
  });

  it("refuses an INBOUND_CLIENTS entry giving a pool's number to another client, naming it; allows the pool's own client and a number no pool holds", () => {
    const SENDER_NUMBERS = 'alpha:+14155550101|+14155550102';
    const withInbound = (INBOUND_CLIENTS: string) =>
      buildSendersConfig(
        { SENDER_NUMBERS },
        buildClientsConfig({
          API_KEYS: 'alpha:alpha-key-0123456789,beta:beta-key-0123456789',
          INBOUND_CLIENTS,
        }),
        DEFAULT,
      );
    const refused = (() => {
      try {
        withInbound(`${DEFAULT}:beta,+14155550101:alpha,+14155550102:beta`);
      } catch (error) {
        return (error as ConfigurationError).problems;
      }
      return [];
    })();
    expect(refused).toEqual([
      'INBOUND_CLIENTS: "+14155550102:beta": +14155550102 is in the SENDER_NUMBERS pool of "alpha"; a number belongs to one client (name "alpha" or leave it out)',
    ]);
    expect(() => withInbound(`${DEFAULT}:beta,+14155550101:alpha,+13105550199:beta`)).not.toThrow();
  });

  it('refuses an unknown OPT_OUT_SCOPE', () => {
    expect(problemsOf({ OPT_OUT_SCOPE: 'client' })).toEqual([
      expect.stringMatching(/^OPT_OUT_SCOPE: /),
    ]);
  });
});
