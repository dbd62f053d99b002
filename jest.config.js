/** Two projects: fast unit specs next to the code, and e2e specs that boot the real app
 * against a real MongoDB server (MONGODB_URI, a mongod, or the stand-in that passes
 * test/e2e/database-conformance, which runs first) and the Plivo simulator. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
module.exports = {
  testTimeout: 60000,
  testSequencer: '<rootDir>/test/support/conformance-first.sequencer.js',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/sandbox/**/*.spec.ts',
        '<rootDir>/test/unit/**/*.spec.ts',
      ],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
