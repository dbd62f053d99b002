/**
 * The callback worker's lanes against a fake outbox and a fake HTTP client: polling, the backlog,
 * shutdown, back-off, and fairness (the caps per host and per client). Long on purpose: each cap
 * needs its own scene of slow hosts, and the fakes that keep those scenes short.
 */
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { AllConfig } from '../../config/config.type';
import { buildStatusCallbacksConfig } from '../../config/status-callbacks.config';
import { MetricsService } from '../../metrics/metrics.service';
import { CallbackEvent } from '../message-log/callback-event.schema';
import {
  AttemptOutcome,
  BusyDestinations,
  CallbackOutboxRepository,
  ClaimedMessage,
} from './callback-outbox.repository';
import { CallbackHttp } from './callback-http';
import { CallbackWorker } from './callback-worker';
import { CallbackAttempts } from './callback-attempts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A message of the fake outbox: its `host:port` and client; a legacy one (no stored host) is not
 * skipped for its host.
 */
type FakeMessage = { host: string; clientId?: string; legacy?: boolean };

/**
 * An outbox holding messages of one event each, oldest first (`due` of them, each to a host of
 * its own, or the ones given); claims skip the busy hosts like the real one, and count.
 */
class FakeOutbox {
  claims = 0;
  settled: (AttemptOutcome | undefined)[] = [];
  handedBack: string[] = [];
  queue: FakeMessage[];
  constructor(due: number | FakeMessage[]) {
    this.queue =
      typeof due === 'number'
        ? Array.from({ length: due }, (_, i) => ({ host: `hooks${i}.example.com:443` }))
        : due;
  }
  async claim(
    now: Date,
    leaseMs: number,
    { hosts = [], clients = [] }: BusyDestinations = {},
  ): Promise<ClaimedMessage | undefined> {
    this.claims++;
    const i = this.queue.findIndex(
      (m) =>
        (m.legacy || !hosts.includes(m.host)) &&
        (m.clientId === undefined || !clients.includes(m.clientId)),
    );
    if (i < 0) return undefined;
    const [message] = this.queue.splice(i, 1);
    const event = {
      id: `evt_${this.claims}`,
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
      clientId: message.clientId,
      url: `https://${message.host}/x`,
      host: message.host,
      token: 't',
      leaseUntil: new Date(now.getTime() + leaseMs),
      event,
    };
  }
  async settle(claim: ClaimedMessage, outcome?: AttemptOutcome) {
    if (outcome) this.settled.push(outcome);
    else {
      // Handed back: due again, now with its host stored.
      this.handedBack.push(claim.host);
      this.queue.unshift({ host: claim.host, clientId: claim.clientId });
    }
    return true;
  }
  async anyDue() {
    return this.queue.length > 0;
  }
}

/** Answers 200 after `ms` (or `slowHosts[host]`); records the most requests open at once. */
class FakeHttp {
  open = 0;
  mostOpen = 0;
  readonly openTo = new Map<string, number>();
  readonly mostOpenTo = new Map<string, number>();
  readonly answeredAt = new Map<string, number[]>();
  /** The requests open per host, as each request began. */
  readonly openAtStarts: Map<string, number>[] = [];
  constructor(
    private readonly ms: number,
    private readonly slowHosts: Record<string, number> = {},
  ) {}
  async post(url: string) {
    const host = new URL(url).host;
    this.open++;
    this.mostOpen = Math.max(this.mostOpen, this.open);
    this.openTo.set(host, (this.openTo.get(host) ?? 0) + 1);
    this.mostOpenTo.set(host, Math.max(this.mostOpenTo.get(host) ?? 0, this.openTo.get(host)!));
    this.openAtStarts.push(new Map(this.openTo));
    // Keyed by `host:port` like the outbox; the URL's host leaves out the default port.
    await sleep(this.slowHosts[host] ?? this.slowHosts[`${host}:443`] ?? this.ms);
    this.open--;
    this.openTo.set(host, this.openTo.get(host)! - 1);
    this.answeredAt.set(host, [...(this.answeredAt.get(host) ?? []), Date.now()]);
    return { httpStatus: 200 };
  }
}

/** The most requests open at once to any of `hosts`, together. */
const mostOpenOf = (http: FakeHttp, hosts: string[]) =>
  Math.max(
    0,
    ...http.openAtStarts.map((open) => hosts.reduce((n, h) => n + (open.get(h) ?? 0), 0)),
  );

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
  it('one host holds at most STATUS_CALLBACK_HOST_CONCURRENCY lanes; the other lanes deliver to other hosts meanwhile', async () => {
    // Twenty messages to a host that takes 400 ms an answer, queued before one to a fast host.
    const slow = 'slow.example.com:443';
    const outbox = new FakeOutbox([
      ...Array.from({ length: 20 }, () => ({ host: slow })),
      { host: 'fast.example.com:443' },
    ]);
    const http = new FakeHttp(0, { [slow]: 400 });
    const w = worker(outbox, http, { STATUS_CALLBACK_CONCURRENCY: '4' });
    const started = Date.now();
    w.onApplicationBootstrap();
    for (let i = 0; i < 100 && !http.answeredAt.has('fast.example.com'); i++) await sleep(10);
    // Answered while the first two slow requests were still open: it waited for no slow one.
    expect(http.answeredAt.get('fast.example.com')?.[0]).toBeLessThan(started + 300);
    await w.beforeApplicationShutdown();
    expect(http.mostOpenTo.get('slow.example.com')).toBe(2);
  });

  it('lanes stuck on a slow host do not count as the poller: an event arriving later goes out within a poll', async () => {
    const slow = 'slow.example.com:443';
    const outbox = new FakeOutbox([{ host: slow }, { host: slow }, { host: slow }]);
    const http = new FakeHttp(0, { [slow]: 1000 });
    const w = worker(outbox, http, { STATUS_CALLBACK_CONCURRENCY: '3' });
    w.onApplicationBootstrap();
    for (let i = 0; i < 100 && http.open < 2; i++) await sleep(10);
    await sleep(100); // the third lane found only the full host: it stays and polls
    const arrived = Date.now();
    outbox.queue.push({ host: 'fast.example.com:443' });
    for (let i = 0; i < 100 && !http.answeredAt.has('fast.example.com'); i++) await sleep(10);
    expect(http.answeredAt.get('fast.example.com')?.[0]).toBeLessThan(arrived + 200);
    expect(http.mostOpenTo.get('slow.example.com')).toBe(2);
    await w.beforeApplicationShutdown();
  });

  it('a message without a stored host, claimed for a full host, is handed back rather than delivered over the cap', async () => {
    const slow = 'slow.example.com:443';
    const outbox = new FakeOutbox([
      { host: slow },
      { host: slow },
      { host: slow, legacy: true },
      { host: 'fast.example.com:443' },
    ]);
    const http = new FakeHttp(0, { [slow]: 300 });
    const w = worker(outbox, http, { STATUS_CALLBACK_CONCURRENCY: '4' });
    w.onApplicationBootstrap();
    for (let i = 0; i < 200 && outbox.settled.length < 4; i++) await sleep(10);
    await w.beforeApplicationShutdown();
    expect(outbox.settled).toHaveLength(4);
    expect(outbox.handedBack).toEqual([slow]);
    expect(http.mostOpenTo.get('slow.example.com')).toBe(2);
  });

  it("one client's URLs over several slow hosts hold at most STATUS_CALLBACK_CLIENT_CONCURRENCY lanes; another client's event goes out meanwhile", async () => {
    // Twenty messages of one client over four slow hosts (ports, subdomains: each host under its
    // own cap of 2), queued before one of another client.
    const slow = ['a', 'b', 'c', 'd'].map((s) => `${s}.slow.example.com:443`);
    const outbox = new FakeOutbox([
      ...Array.from({ length: 20 }, (_, i) => ({ host: slow[i % 4], clientId: 'stuck' })),
      { host: 'fast.example.com:443', clientId: 'healthy' },
    ]);
    const http = new FakeHttp(0, Object.fromEntries(slow.map((h) => [h, 400])));
    const w = worker(outbox, http, {
      STATUS_CALLBACK_CONCURRENCY: '4',
      STATUS_CALLBACK_HOST_CONCURRENCY: '2',
      STATUS_CALLBACK_CLIENT_CONCURRENCY: '2',
    });
    const started = Date.now();
    w.onApplicationBootstrap();
    for (let i = 0; i < 100 && !http.answeredAt.has('fast.example.com'); i++) await sleep(10);
    expect(http.answeredAt.get('fast.example.com')?.[0]).toBeLessThan(started + 300);
    await w.beforeApplicationShutdown();
    // The stuck client never had more than two requests open, over all its hosts.
    expect(
      mostOpenOf(
        http,
        slow.map((h) => h.replace(':443', '')),
      ),
    ).toBe(2);
  });

  it('messages without a client are not counted per client (only per host)', async () => {
    const hosts = ['a', 'b', 'c', 'd'].map((s) => `${s}.example.com:443`);
    const outbox = new FakeOutbox(Array.from({ length: 8 }, (_, i) => ({ host: hosts[i % 4] })));
    const http = new FakeHttp(100);
    const w = worker(outbox, http, {
      STATUS_CALLBACK_CONCURRENCY: '4',
      STATUS_CALLBACK_CLIENT_CONCURRENCY: '1',
    });
    w.onApplicationBootstrap();
    for (let i = 0; i < 200 && outbox.settled.length < 8; i++) await sleep(10);
    await w.beforeApplicationShutdown();
    expect(outbox.settled).toHaveLength(8);
    expect(http.mostOpen).toBe(4);
  });
});
