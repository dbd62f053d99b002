import { buildAppConfig } from './app.config';

const withEnv = (env: Record<string, string | undefined>) => buildAppConfig(env);

describe('app config: PUBLIC_BASE_URL', () => {
  it('is required in production', () => {
    expect(() => withEnv({ NODE_ENV: 'production', PUBLIC_BASE_URL: undefined })).toThrow(
      /PUBLIC_BASE_URL: required in production/,
    );
  });
  it('defaults to localhost outside production', () => {
    expect(
      withEnv({ NODE_ENV: 'development', PUBLIC_BASE_URL: undefined, SERVER_PORT: '3000' })
        .publicBaseUrl,
    ).toBe('http://localhost:3000');
  });
  it('refuses a query string or fragment, trims trailing slashes', () => {
    expect(() =>
      withEnv({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mms.example.com/?x=1' }),
    ).toThrow(/without query string/);
    expect(
      withEnv({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mms.example.com/base/' })
        .publicBaseUrl,
    ).toBe('https://mms.example.com/base');
  });
});

describe('app config: port and host', () => {
  it('honours PORT when SERVER_PORT is not set, and SERVER_PORT over PORT', () => {
    expect(withEnv({ PORT: '8080' }).port).toBe(8080);
    expect(withEnv({ PORT: '8080', SERVER_PORT: '3005' }).port).toBe(3005);
    expect(withEnv({}).port).toBe(3000);
  });
  it('listens on every interface unless SERVER_HOST says otherwise', () => {
    expect(withEnv({}).host).toBe('0.0.0.0');
    expect(withEnv({ SERVER_HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });
});
