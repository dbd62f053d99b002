import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { AllConfig } from '../../config/config.type';
import { buildStatusCallbacksConfig } from '../../config/status-callbacks.config';
import { MetricsService } from '../../metrics/metrics.service';
import { CallbackEvent } from '../message-log/callback-event.schema';
import {
  AttemptOutcome,
  CallbackOutboxRepository,
  ClaimedMessage,
} from './callback-outbox.repository';
import { CallbackHttp } from './callback-http';
import { CallbackWorker } from './callback-worker';
import { CallbackAttempts } from './callback-attempts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An outbox holding `due` messages of one event each; counts claims and settles. */
class FakeOutbox {
  claims = 0;
  settled: (AttemptOutcome | undefined)[] = [];
  constructor(public due: number) {}
  async claim(now: Date, leaseMs: number): Promise<ClaimedMessage | undefined> {
    this.claims++;
    if (this.due === 0) return undefined;
    this.due--;
    const event = {
      id: `evt_${this.due}`,
      sequence: 1,
      status: 'queued',
      previousStatus: 'pending',
      channel: 'mms',
      occurredAt: now,
      state: 'pending',
      attempts: 0,
    } as CallbackEvent;
    return {
      messageId: new Types.ObjectId(),
      url: 'https://hooks.example.com/x',
      token: 't',
      leaseUntil: new Date(now.getTime() + leaseMs),
      event,
    };
  }
  async settle(_: ClaimedMessage, outcome?: AttemptOutcome) {
    this.settled.push(outcome);
    return true;
  }
  async anyDue() {
    return this.due > 0;
  }
}

/** Answers 200 after `ms`, and records how many requests were open at once. */
class FakeHttp {
  open = 0;
  mostOpen = 0;
  constructor(private readonly ms: number) {}
  async post() {
    this.open++;
    this.mostOpen = Math.max(this.mostOpen, this.open);
    await sleep(this.ms);
    this.open--;
    return { httpStatus: 200 };
  }
}

function worker(outbox: FakeOutbox, http: FakeHttp, env: Record<string, string> = {}) {
  const settings = buildStatusCallbacksConfig({
    STATUS_CALLBACK_SECRET: 's'.repeat(32),
    STATUS_CALLBACK_POLL_MS: '20',
    STATUS_CALLBACK_CONCURRENCY: '5',
    ...env,
  });
  const config = { get: () => settings } as unknown as ConfigService<AllConfig, true>;
  return new CallbackWorker(
    outbox as unknown as CallbackOutboxRepository,
    new CallbackAttempts(http as unknown as CallbackHttp, config),
    new MetricsService(),
    config,
  );
}

describe('CallbackWorker lanes', () => {
  it('idle: one claim per poll, not one per lane', async () => {
    const outbox = new FakeOutbox(0);
    const w = worker(outbox, new FakeHttp(0));
    w.onApplicationBootstrap();
    await sleep(210);
    await w.beforeApplicationShutdown();
    // About 210 / 20 polls by a single lane; five lanes would make five times as many.
    expect(outbox.claims).toBeGreaterThanOrEqual(3);
    expect(outbox.claims).toBeLessThanOrEqual(14);
  });

  it('a backlog opens lanes up to STATUS_CALLBACK_CONCURRENCY, and back to one once drained', async () => {
    const outbox = new FakeOutbox(40);
    const http = new FakeHttp(60);
    const w = worker(outbox, http);
    w.onApplicationBootstrap();
    for (let i = 0; i < 250 && outbox.settled.length < 40; i++) await sleep(20);
    expect(outbox.settled).toHaveLength(40);
    expect(outbox.settled.every((o) => o?.state === 'delivered')).toBe(true);
    expect(http.mostOpen).toBe(5);
    // Drained: the extra lanes have left; a single lane polls.
    await sleep(100);
    const before = outbox.claims;
    await sleep(200);
    expect(outbox.claims - before).toBeLessThanOrEqual(12);
    await w.beforeApplicationShutdown();
  });

  it('shutdown waits for the deliveries under way, then claims nothing more', async () => {
    const outbox = new FakeOutbox(3);
    const http = new FakeHttp(300);
    const w = worker(outbox, http, { STATUS_CALLBACK_CONCURRENCY: '3' });
    w.onApplicationBootstrap();
    for (let i = 0; i < 100 && http.open < 3; i++) await sleep(10);
    expect(http.open).toBe(3);
    await w.beforeApplicationShutdown();
    expect(http.open).toBe(0);
    expect(outbox.settled).toHaveLength(3);
    const claims = outbox.claims;
    await sleep(100);
    expect(outbox.claims).toBe(claims);
  });

  it('backs off while claims fail (the database down), one lane, doubling waits', async () => {
    const outbox = new FakeOutbox(0);
    outbox.claim = async () => {
      outbox.claims++;
      throw new Error('database down');
    };
    const w = worker(outbox, new FakeHttp(0));
    w.onApplicationBootstrap();
    await sleep(400);
    await w.beforeApplicationShutdown();
    // Waits of 40, 80, 160, 320 ms: about four claims, where polling every 20 ms makes twenty.
    expect(outbox.claims).toBeGreaterThanOrEqual(2);
    expect(outbox.claims).toBeLessThanOrEqual(6);
  });

  it('an attempt that throws is a failed attempt: backed off, not retried at every lease', async () => {
    const outbox = new FakeOutbox(1);
    const http = new FakeHttp(0);
    http.post = async () => {
      throw new Error('bug');
    };
    const w = worker(outbox, http);
    w.onApplicationBootstrap();
    for (let i = 0; i < 100 && outbox.settled.length < 1; i++) await sleep(10);
    await w.beforeApplicationShutdown();
    expect(outbox.settled).toEqual([
      expect.objectContaining({
        state: 'pending',
        attempted: true,
        error: 'internal error',
        nextAttemptAt: expect.any(Date),
      }),
    ]);
  });
});
