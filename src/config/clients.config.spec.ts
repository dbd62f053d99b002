/**
 * The client keys' parser (API_KEYS, ADMIN_API_KEYS, INBOUND_CLIENTS), checked through
 * ApiKeyVerifier.identify where it matters: who a key is. Long on purpose: one case per rule
 * (names, bare keys, rotation, admins, reserved names, one key one client, ':' and the
 * production minimums), each problem message pinned, since they are the operator's only guide.
 */
import { ConfigService } from '@nestjs/config';
import { ApiKeyVerifier } from '../auth/api-key.verifier';
import { clientOf, OPEN_ACCESS_CLIENT } from '../auth/client';
import { sha256 } from '../shared/crypto';
import type { SandboxState } from './app.config';
import { buildClientsConfig, ClientsConfig } from './clients.config';
import { loadConfiguration } from './configuration';
import type { AllConfig } from './config.type';
import { ConfigurationError } from './validate-config';

const KEY_A = 'team-a-key-0123456789abcdef';
const KEY_A2 = 'team-a-new-key-0123456789ab';
const KEY_B = 'team-b-key-0123456789abcdef';
const BARE = 'a-bare-key-without-a-name-0123';
const ADMIN = 'ops-admin-key-0123456789abcdef';

const build = (env: Record<string, string>) => buildClientsConfig(env);

function problemsOf(env: Record<string, string>): string[] {
  try {
    buildClientsConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

/** The client each key is, as the running service identifies it. */
function verifierOf(config: ClientsConfig): ApiKeyVerifier {
  const service = { get: () => config } as unknown as ConfigService<AllConfig, true>;
  return new ApiKeyVerifier(service);
}

/** What each configured key becomes: its client id and admin flag, by the key's digest. */
const clientsOf = (config: ClientsConfig) =>
  config.keys.map((k) => ({ digest: k.digest.toString('hex'), ...clientOf(k) }));

describe('clients config: API_KEYS, ADMIN_API_KEYS, INBOUND_CLIENTS', () => {
  it('name:key: the name is the client id; only the key’s digest is kept', () => {
    const config = build({ API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}` });
    expect(clientsOf(config)).toEqual([
      { digest: sha256(KEY_A).toString('hex'), id: 'team-a', admin: false },
      { digest: sha256(KEY_B).toString('hex'), id: 'team-b', admin: false },
    ]);
    expect(JSON.stringify(config)).not.toContain(KEY_A);
    expect(verifierOf(config).identify(KEY_B)).toEqual({ id: 'team-b', admin: false });
    expect(verifierOf(config).identify(`team-b:${KEY_B}`)).toBeUndefined();
  });

  it('a bare key (no ":") is client key-<12 hex of its SHA-256>', () => {
    const config = build({ API_KEYS: BARE });
    expect(config.keys).toEqual([{ name: undefined, digest: sha256(BARE), admin: false }]);
    const id = verifierOf(config).identify(BARE)?.id;
    expect(id).toBe(`key-${sha256(BARE).toString('hex').slice(0, 12)}`);
  });

  it('several keys under one name are one client (rotation), in any order and either variable', () => {
    const config = build({ API_KEYS: `team-a:${KEY_A},team-b:${KEY_B},team-a:${KEY_A2}` });
    const verifier = verifierOf(config);
    expect(verifier.identify(KEY_A)).toEqual({ id: 'team-a', admin: false });
    expect(verifier.identify(KEY_A2)).toEqual({ id: 'team-a', admin: false });
    expect(verifier.identify(KEY_B)).toEqual({ id: 'team-b', admin: false });
    const admins = build({ ADMIN_API_KEYS: `ops:${ADMIN},ops:${KEY_A2}` });
    expect(verifierOf(admins).identify(KEY_A2)).toEqual({ id: 'ops', admin: true });
  });

  it('ADMIN_API_KEYS: the same format, admin keys', () => {
    const config = build({ API_KEYS: `team-a:${KEY_A}`, ADMIN_API_KEYS: `ops:${ADMIN},${BARE}` });
    const verifier = verifierOf(config);
    expect(verifier.identify(ADMIN)).toEqual({ id: 'ops', admin: true });
    expect(verifier.identify(BARE)).toEqual({
      id: expect.stringMatching(/^key-[0-9a-f]{12}$/),
      admin: true,
    });
    expect(verifier.identify(KEY_A)).toEqual({ id: 'team-a', admin: false });
  });

  it('a key in both variables under the same name: the admin entry wins, wherever it is listed', () => {
    for (const env of [
      { API_KEYS: `ops:${ADMIN}`, ADMIN_API_KEYS: `ops:${ADMIN}` },
      { API_KEYS: `team-a:${KEY_A},ops:${ADMIN}`, ADMIN_API_KEYS: `ops:${ADMIN}` },
      { API_KEYS: ADMIN, ADMIN_API_KEYS: ADMIN },
    ]) {
      const client = verifierOf(build(env)).identify(ADMIN);
      expect(client?.admin).toBe(true);
    }
    // The same key twice in one variable under the same name is a harmless repeat.
    expect(verifierOf(build({ API_KEYS: `ops:${ADMIN},ops:${ADMIN}` })).identify(ADMIN)).toEqual({
      id: 'ops',
      admin: false,
    });
  });

  it('empty API_KEYS outside production: no keys (auth off, every caller is "anonymous")', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(build({ NODE_ENV }).keys).toEqual([]);
      expect(verifierOf(build({ NODE_ENV })).enabled).toBe(false);
    }
    expect(OPEN_ACCESS_CLIENT.id).toBe('anonymous');
  });

  it('the open caller (no keys) is no admin unless the sandbox entry point says so', () => {
    const env = {
      NODE_ENV: 'development',
      PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
      PLIVO_AUTH_TOKEN: 'token',
      PLIVO_SENDER_NUMBER: '+14155550100',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/mms',
    };
    const openCaller = (sandbox?: SandboxState) =>
      new ApiKeyVerifier(new ConfigService(loadConfiguration(env, sandbox))).openAccessClient;
    // What src/main.ts and any caller that states nothing get.
    expect(openCaller()).toEqual({ id: 'anonymous', admin: false });
    expect(openCaller({ plivo: true, database: true })).toEqual({ id: 'anonymous', admin: false });
    expect(openCaller({ plivo: true, database: true, openAccessAdmin: true })).toEqual({
      id: 'anonymous',
      admin: true,
    });
    expect(OPEN_ACCESS_CLIENT.admin).toBe(false);
  });

  it('production: API_KEYS is required', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'API_KEYS: required in production (comma-separated name:key entries)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', API_KEYS: ' , ' })).toEqual([
      'API_KEYS: required in production (comma-separated name:key entries)',
    ]);
  });

  it('production: every key is at least 16 characters, named by its entry (never its text)', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      API_KEYS: `team-a:${KEY_A},team-b:short-key-15ch,shortbarekey`,
      ADMIN_API_KEYS: 'ops:tiny',
    });
    expect(problems).toEqual([
      'API_KEYS: entry 2: the key is shorter than 16 characters',
      'API_KEYS: entry 3: the key is shorter than 16 characters',
      'ADMIN_API_KEYS: entry 1: the key is shorter than 16 characters',
    ]);
    // The same short keys are accepted outside production (the sandbox's and the tests').
    expect(build({ API_KEYS: 'team-b:short-key-15ch,shortbarekey' }).keys).toHaveLength(2);
    // 16 characters is enough.
    expect(build({ NODE_ENV: 'production', API_KEYS: 'a:0123456789abcdef' }).keys).toHaveLength(1);
  });

  describe('a name is never another client’s id', () => {
    it.each(['key-0123456789ab', 'KEY-0123456789ab', 'Key-x', 'key-'])(
      'refuses the name %s: names starting with key- are bare keys’ ids',
      (name) => {
        expect(problemsOf({ API_KEYS: `${name}:${KEY_A}` })).toEqual([
          'API_KEYS: entry 1: client names must not start with "key-" (the ids of bare keys)',
        ]);
      },
    );

    it('a name cannot take a bare key’s id (and so read its messages)', () => {
      const bareId = `key-${sha256(BARE).toString('hex').slice(0, 12)}`;
      expect(problemsOf({ API_KEYS: `${BARE},${bareId}:${KEY_A}` })).toEqual([
        'API_KEYS: entry 2: client names must not start with "key-" (the ids of bare keys)',
      ]);
    });

    it.each(['anonymous', 'Anonymous', 'ANONYMOUS'])(
      'refuses the name %s: the id of every caller while auth is off',
      (name) => {
        expect(problemsOf({ ADMIN_API_KEYS: `ops:${ADMIN},${name}:${KEY_A}` })).toEqual([
          'ADMIN_API_KEYS: entry 2: the client name "anonymous" is reserved (every caller while API_KEYS is empty)',
        ]);
      },
    );

    it.each(['gateway', 'Gateway', 'GATEWAY'])(
      'refuses the name %s in either variable, by entry: the id of the gateway’s own replies',
      (name) => {
        const reserved =
          'the client name "gateway" is reserved (the gateway\'s own replies to STOP, START and HELP)';
        expect(problemsOf({ API_KEYS: `team-a:${KEY_A},${name}:${KEY_B}` })).toEqual([
          `API_KEYS: entry 2: ${reserved}`,
        ]);
        expect(problemsOf({ ADMIN_API_KEYS: `${name}:${ADMIN}` })).toEqual([
          `ADMIN_API_KEYS: entry 1: ${reserved}`,
        ]);
        // Nor may a number's inbound messages (and so the replies to them) be given to it.
        expect(
          problemsOf({
            API_KEYS: `team-a:${KEY_A}`,
            INBOUND_CLIENTS: `+14155550100:team-a,+14155550101:${name}`,
          }),
        ).toEqual([`INBOUND_CLIENTS: entry 2: ${reserved}`]);
      },
    );

    it('names that merely contain key-, anonymous or gateway are fine', () => {
      const config = build({
        API_KEYS: `monkey-a:${KEY_A},anonymous2:${KEY_B},api-key-1:${BARE},gateway-2:${ADMIN}`,
      });
      expect(config.keys.map((k) => k.name)).toEqual([
        'monkey-a',
        'anonymous2',
        'api-key-1',
        'gateway-2',
      ]);
    });
  });

  describe('one key, one client', () => {
    it('the same key under two names is refused, in one variable or across both', () => {
      expect(problemsOf({ API_KEYS: `team-a:${KEY_A},team-b:${KEY_A}` })).toEqual([
        expect.stringMatching(
          /^API_KEYS: entry 1 is the same key as entry 2 for a different client/,
        ),
      ]);
      expect(
        problemsOf({ API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`, ADMIN_API_KEYS: `ops:${KEY_B}` }),
      ).toEqual([
        expect.stringMatching(
          /^API_KEYS: entry 2 is the same key as ADMIN_API_KEYS entry 1 for a different client/,
        ),
      ]);
    });

    it('the same key bare and named is refused too (key-… and the name would be two ids)', () => {
      expect(problemsOf({ API_KEYS: BARE, ADMIN_API_KEYS: `ops:${BARE}` })).toEqual([
        expect.stringMatching(
          /^API_KEYS: entry 1 is the same key as ADMIN_API_KEYS entry 1 for a different client/,
        ),
      ]);
    });

    it('the problem never shows the key or the names', () => {
      const problems = problemsOf({ API_KEYS: `team-a:${KEY_A},team-b:${KEY_A}` }).join('\n');
      for (const part of [KEY_A, 'team-a', 'team-b']) expect(problems).not.toContain(part);
    });
  });

  describe('":" separates the name; a bare key has none', () => {
    it('name:key splits at the first ":", so a named key may contain ":"', () => {
      const config = build({ API_KEYS: `team-a:${KEY_A}:with:colons` });
      expect(config.keys).toEqual([
        { name: 'team-a', digest: sha256(`${KEY_A}:with:colons`), admin: false },
      ]);
    });

    it.each([
      ['a prefix that is no name', 'abc/def+ghi:0123456789abcdef'],
      ['an empty prefix', ':0123456789abcdef0123'],
      ['a prefix of more than 64 characters', `${'a'.repeat(65)}:0123456789abcdef`],
      ['a space in the name', 'team a:0123456789abcdef'],
    ])('an entry with ":" and %s is refused, not read as a bare key', (_, entry) => {
      const problems = problemsOf({ API_KEYS: `team-a:${KEY_A},${entry}` });
      expect(problems).toEqual([
        "API_KEYS: entry 2: the part before ':' is not a client name (1-64 letters, digits, '_', '.', '-'); a bare key must not contain ':'",
      ]);
      // Not a single part of the entry (which may be a key) is in the message.
      for (const part of entry.split(':').filter(Boolean))
        expect(problems.join('\n')).not.toContain(part);
    });

    it('a bare key with a name-like prefix before ":" cannot be told from name:key: it is one', () => {
      // The documented rule: bare keys must not contain ':'. This one is client "legacy" with
      // key "0123456789abcdef"; the whole text is not a key at all.
      const verifier = verifierOf(build({ API_KEYS: 'legacy:0123456789abcdef' }));
      expect(verifier.identify('0123456789abcdef')).toEqual({ id: 'legacy', admin: false });
      expect(verifier.identify('legacy:0123456789abcdef')).toBeUndefined();
    });

    it('refuses a missing key, or a key with spaces around it, by entry', () => {
      expect(problemsOf({ API_KEYS: `team-a:,team-b: ${KEY_B}` })).toEqual([
        'API_KEYS: entry 1: no key after the name',
        'API_KEYS: entry 2: the key has surrounding spaces',
      ]);
    });
  });

  describe('INBOUND_CLIENTS', () => {
    const keys = { API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`, ADMIN_API_KEYS: `ops:${ADMIN}` };

    it('maps each number to a client named in API_KEYS or ADMIN_API_KEYS', () => {
      const config = build({
        ...keys,
        INBOUND_CLIENTS: '+14155550100:team-a, +14155550101:team-b,+14155550102:ops',
      });
      expect(config.inboundClients).toEqual({
        '+14155550100': 'team-a',
        '+14155550101': 'team-b',
        '+14155550102': 'ops',
      });
    });

    it.each([
      '14155550100:team-a',
      '+04155550100:team-a',
      '+1415:team-a',
      '+14155550100',
      '+14155550100:',
      '+14155550100:team a',
      '+14155550100:team-a:team-b',
      'team-a:+14155550100',
    ])('refuses "%s": not +E164:name', (entry) => {
      expect(problemsOf({ ...keys, INBOUND_CLIENTS: entry })).toEqual([
        `INBOUND_CLIENTS: "${entry}" is not +E164:name`,
      ]);
    });

    it('refuses a name no key has (a typo would leave the number to admins only)', () => {
      expect(problemsOf({ ...keys, INBOUND_CLIENTS: '+14155550100:team-c' })).toEqual([
        'INBOUND_CLIENTS: "team-c" is not a client named in API_KEYS or ADMIN_API_KEYS',
      ]);
      // A bare key's id is no name either; nor is the open-access id without keys.
      const bareId = `key-${sha256(BARE).toString('hex').slice(0, 12)}`;
      expect(problemsOf({ API_KEYS: BARE, INBOUND_CLIENTS: `+14155550100:${bareId}` })).toEqual([
        `INBOUND_CLIENTS: "${bareId}" is not a client named in API_KEYS or ADMIN_API_KEYS`,
      ]);
      expect(problemsOf({ INBOUND_CLIENTS: '+14155550100:anonymous' })).toEqual([
        'INBOUND_CLIENTS: entry 1: the client name "anonymous" is reserved (every caller while API_KEYS is empty)',
      ]);
    });

    it('refuses one number for two clients; the same pair twice is a harmless repeat', () => {
      expect(
        problemsOf({ ...keys, INBOUND_CLIENTS: '+14155550100:team-a,+14155550100:team-b' }),
      ).toEqual(['INBOUND_CLIENTS: +14155550100 is listed for two clients']);
      expect(
        build({ ...keys, INBOUND_CLIENTS: '+14155550100:team-a,+14155550100:team-a' })
          .inboundClients,
      ).toEqual({ '+14155550100': 'team-a' });
    });
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      API_KEYS: `key-x:${KEY_A},team-a:short,team-b:${KEY_B},team-c:${KEY_B}`,
      INBOUND_CLIENTS: '+14155550100:nobody',
    });
    expect(problems).toHaveLength(4);
  });
});
