import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { PendingReconciler } from './pending-reconciler';

/** A log with `pending` stale messages: each settle takes the next one. */
class FakeLog {
  readonly calls: { loggedBefore: Date; errorCode: string }[] = [];
  fail?: Error;
  clientId: string | undefined = 'shop';
  constructor(public pending: number) {}
  async settlePendingAsUnknown(
    which: { loggedBefore: Date },
    reason: { detail: string; errorCode: string },
  ) {
    this.calls.push({ loggedBefore: which.loggedBefore, errorCode: reason.errorCode });
    if (this.fail) throw this.fail;
    if (this.pending === 0) return undefined;
    this.pending--;
    return { _id: new Types.ObjectId(), clientId: this.clientId, applied: true };
  }
}

function setup(pending: number, afterMs = 28_000, intervalMs = 1000) {
  const log = new FakeLog(pending);
  const metrics = new MetricsService();
  const config = {
    get: (key: string) => {
      if (key !== 'pendingReconciler') throw new Error(`unexpected config key ${key}`);
      return { afterMs, intervalMs };
    },
  } as unknown as ConfigService<AllConfig, true>;
  const reconciler = new PendingReconciler(log as unknown as MessageLogRepository, metrics, config);
  return { log, metrics, reconciler };
}

const settledCount = async (metrics: MetricsService) =>
  (await metrics.messages.get()).values
    .filter((v) => v.labels.reason === 'pending-reconciled' && v.labels.outcome === 'unknown')
    .reduce((sum, v) => sum + v.value, 0);

describe('PendingReconciler', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('settles every message logged before now minus the threshold, as PLIVO_OUTCOME_UNKNOWN, and counts them', async () => {
    const { log, metrics, reconciler } = setup(3);
    const now = new Date('2026-01-01T00:01:00Z');
    expect(await reconciler.reconcile(now)).toBe(3);
    expect(log.calls).toHaveLength(4); // the fourth finds nothing
    for (const call of log.calls) {
      expect(call.loggedBefore).toEqual(new Date('2026-01-01T00:00:32Z'));
      expect(call.errorCode).toBe('PLIVO_OUTCOME_UNKNOWN');
    }
    expect(await settledCount(metrics)).toBe(3);
  });

  it("labels a message without a client (very old) with a name no client can have, not 'unknown'", async () => {
    const { log, metrics, reconciler } = setup(1);
    log.clientId = undefined;
    await reconciler.reconcile();
    const labels = (await metrics.messages.get()).values.map((v) => v.labels.client);
    expect(labels).toEqual(['(none)']);
    // Client names are /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/: `unknown` could be one.
    expect(labels[0]).not.toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
  });

  it('settles at most 500 per pass (the rest wait for the next)', async () => {
    const { reconciler, log } = setup(600);
    expect(await reconciler.reconcile()).toBe(500);
    expect(log.pending).toBe(100);
  });

  it('a database failure ends the pass without throwing', async () => {
    const { reconciler, log } = setup(3);
    log.fail = new Error('down');
    await expect(reconciler.reconcile()).resolves.toBe(0);
  });

  it('runs a pass at start, then one per interval, and none after shutdown', async () => {
    jest.useFakeTimers();
    const { reconciler, log } = setup(0, 28_000, 1000);
    reconciler.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(log.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(999);
    expect(log.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(log.calls).toHaveLength(2);
    await reconciler.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(log.calls).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0);
  });
});
