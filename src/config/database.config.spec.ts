import { buildDatabaseConfig } from './database.config';
import { ConfigurationError } from './validate-config';

const URI = 'mongodb://127.0.0.1:27017/mms';
const build = (env: Record<string, string>) => buildDatabaseConfig({ MONGODB_URI: URI, ...env });

describe('database config: index settings', () => {
  it('production: no autoIndex (npm run db:indexes builds them), a missing index refuses the start', () => {
    expect(build({ NODE_ENV: 'production' })).toMatchObject({
      autoIndex: false,
      requireIndexes: true,
    });
  });

  it.each(['development', 'test', undefined])(
    'NODE_ENV=%s: autoIndex on (the sandbox and the tests start on empty databases), drift only warns',
    (NODE_ENV) => {
      expect(build(NODE_ENV ? { NODE_ENV } : {})).toMatchObject({
        autoIndex: true,
        requireIndexes: false,
      });
    },
  );

  it('MONGODB_AUTO_INDEX and MONGODB_REQUIRE_INDEXES override the defaults either way', () => {
    expect(
      build({
        NODE_ENV: 'production',
        MONGODB_AUTO_INDEX: 'true',
        MONGODB_REQUIRE_INDEXES: 'false',
      }),
    ).toMatchObject({ autoIndex: true, requireIndexes: false });
    expect(
      build({ NODE_ENV: 'test', MONGODB_AUTO_INDEX: 'false', MONGODB_REQUIRE_INDEXES: 'true' }),
    ).toMatchObject({ autoIndex: false, requireIndexes: true });
  });

  it('refuses anything but true or false, naming the variable', () => {
    expect(() => build({ MONGODB_AUTO_INDEX: 'yes', MONGODB_REQUIRE_INDEXES: '1' })).toThrow(
      ConfigurationError,
    );
    try {
      build({ MONGODB_AUTO_INDEX: 'yes', MONGODB_REQUIRE_INDEXES: '1' });
    } catch (error) {
      expect((error as ConfigurationError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'MONGODB_AUTO_INDEX',
        'MONGODB_REQUIRE_INDEXES',
      ]);
    }
  });
});
