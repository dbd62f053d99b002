import { loadConfiguration } from './configuration';
import { buildPendingReconcilerConfig } from './pending-reconciler.config';
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

describe('buildPendingReconcilerConfig', () => {
  it('defaults to the longest request and a 30 s interval', () => {
    expect(buildPendingReconcilerConfig({}, 28_000)).toEqual({
      afterMs: 28_000,
      intervalMs: 30_000,
    });
  });

  it('the whole configuration derives the default from the send deadline and the preflight timeout', () => {
    expect(loadConfiguration(VALID).pendingReconciler).toEqual({
      afterMs: 28_000,
      intervalMs: 30_000,
    });
    const short = loadConfiguration({
      ...VALID,
      PLIVO_SEND_DEADLINE_MS: '2000',
      MEDIA_PREFLIGHT_TIMEOUT_MS: '100',
      PENDING_RECONCILE_INTERVAL_MS: '200',
    });
    expect(short.pendingReconciler).toEqual({ afterMs: 7100, intervalMs: 200 });
    expect(
      loadConfiguration({ ...VALID, PENDING_RECONCILE_AFTER_MS: '600000' }).pendingReconciler
        .afterMs,
    ).toBe(600_000);
  });

  it('refuses a threshold shorter than the longest request (it would call a message in flight unknown)', () => {
    expect(problemsOf({ ...VALID, PENDING_RECONCILE_AFTER_MS: '27999' })).toEqual([
      'PENDING_RECONCILE_AFTER_MS: must be at least the longest a request can run, 28000 ms (PLIVO_SEND_DEADLINE_MS + MEDIA_PREFLIGHT_TIMEOUT_MS + 5000)',
    ]);
    expect(
      problemsOf({
        ...VALID,
        PLIVO_SEND_DEADLINE_MS: '60000',
        PENDING_RECONCILE_AFTER_MS: '30000',
      }),
    ).toEqual([expect.stringMatching(/^PENDING_RECONCILE_AFTER_MS: .* 68000 ms/)]);
  });

  it.each([
    ['PENDING_RECONCILE_AFTER_MS', 'soon'],
    ['PENDING_RECONCILE_AFTER_MS', '999999999999'],
    ['PENDING_RECONCILE_INTERVAL_MS', '0'],
    ['PENDING_RECONCILE_INTERVAL_MS', '-5'],
    ['PENDING_RECONCILE_INTERVAL_MS', '1.5'],
    ['PENDING_RECONCILE_INTERVAL_MS', '86400001'],
  ])('refuses %s=%s, naming it', (name, value) => {
    const problems = problemsOf({ ...VALID, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
  });

  it('does not add its own complaint when the send deadline it depends on is invalid', () => {
    expect(problemsOf({ ...VALID, PLIVO_SEND_DEADLINE_MS: 'long' })).toEqual([
      expect.stringMatching(/^PLIVO_SEND_DEADLINE_MS: /),
    ]);
  });
});
