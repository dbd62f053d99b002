import { buildDispatchConfig } from './dispatch.config';
import { ConfigurationError } from './validate-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    buildDispatchConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe('buildDispatchConfig (PACING_*, SEND_VALIDITY_DEFAULT_S, DISPATCH_*)', () => {
  it("defaults to Plivo's account rates from the production entry point, and to no pacing in the sandbox", () => {
    expect(buildDispatchConfig({})).toMatchObject({
      account: { mms: 0.25, sms: 5 },
      sender: { mms: 0, sms: 0 },
      maxWaitMs: 1000,
      validityDefaultS: 10_800,
      pacing: true,
    });
    expect(buildDispatchConfig({}, { plivo: true, database: true })).toMatchObject({
      account: { mms: 0, sms: 0 },
      pacing: false,
    });
  });

  it('reads fractional rates, 0 turns a cap off', () => {
    const config = buildDispatchConfig({
      PACING_ACCOUNT_MMS_PER_SECOND: '0.5',
      PACING_ACCOUNT_SMS_PER_SECOND: '0',
      PACING_SENDER_MMS_PER_SECOND: '2',
    });
    expect(config.account).toEqual({ mms: 0.5, sms: 0 });
    expect(config.sender).toEqual({ mms: 2, sms: 0 });
    expect(
      buildDispatchConfig({
        PACING_ACCOUNT_MMS_PER_SECOND: '0',
        PACING_ACCOUNT_SMS_PER_SECOND: '0',
      }).pacing,
    ).toBe(false);
  });

  it('refuses a lease that is not well past the poll interval (claims would be taken over)', () => {
    expect(problemsOf({ DISPATCH_POLL_MS: '1500', DISPATCH_LEASE_MS: '3000' })).toEqual([
      'DISPATCH_LEASE_MS: must be at least twice DISPATCH_POLL_MS + 1000 (4000)',
    ]);
    expect(problemsOf({ DISPATCH_POLL_MS: '1500', DISPATCH_LEASE_MS: '4000' })).toEqual([]);
  });

  it.each([
    ['PACING_ACCOUNT_MMS_PER_SECOND', '-1'],
    ['PACING_ACCOUNT_MMS_PER_SECOND', 'fast'],
    ['PACING_ACCOUNT_SMS_PER_SECOND', '-0.5'],
    ['PACING_SENDER_MMS_PER_SECOND', 'NaN'],
    ['PACING_SENDER_SMS_PER_SECOND', 'Infinity'],
    ['PACING_MAX_WAIT_MS', '-1'],
    ['SEND_VALIDITY_DEFAULT_S', '4'],
    ['SEND_VALIDITY_DEFAULT_S', String(72 * 3600 + 1)],
    ['DISPATCH_CONCURRENCY', '0'],
    ['DISPATCH_POLL_MS', 'often'],
    ['DISPATCH_LEASE_MS', '10'],
  ])('%s=%s refuses to start, naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
  });
});
