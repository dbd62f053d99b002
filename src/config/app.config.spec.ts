import { appConfig } from './app.config';

const withEnv = (env: Record<string, string | undefined>) => {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    return appConfig();
  } finally {
    process.env = saved;
  }
};

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
