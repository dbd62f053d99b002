import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { OptOutScope, SendersConfig } from '../../config/senders.config';
import { MetricsService } from '../../metrics/metrics.service';
import { OptOutChange } from './opt-out.schema';
import { OptOutRecord, OptOutsRepository } from './opt-outs.repository';
import { OptOutsService } from './opt-outs.service';

/** OptOutsRepository's semantics in memory, counting the reads the send path makes. */
class MemoryOptOuts {
  readonly records = new Map<string, OptOutRecord>();
  readonly reads: string[][] = [];
  async isOptedOut(senders: readonly string[], recipient: string) {
    this.reads.push([...senders]);
    return senders.some((s) => this.records.get(`${s}|${recipient}`)?.optedOut === true);
  }
  async findAll(senders: readonly string[], recipient: string) {
    return senders.flatMap((s) => this.records.get(`${s}|${recipient}`) ?? []);
  }
  async find(sender: string, recipient: string) {
    return this.records.get(`${sender}|${recipient}`) ?? null;
  }
  async optIn(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    const record = this.records.get(`${sender}|${recipient}`);
    if (!record?.optedOut) return false;
    if (
      record.history.some(
        (h) => h.inboundMessageId && h.inboundMessageId === change.inboundMessageId,
      )
    )
      return false;
    record.optedOut = false;
    record.history.push({ ...change, action: 'opt-in' });
    return true;
  }
  async applyKeyword(
    sender: string,
    recipient: string,
    action: 'opt-out' | 'opt-in',
    change: Omit<OptOutChange, 'action'>,
  ) {
    const key = `${sender}|${recipient}`;
    if (!this.records.has(key))
      this.records.set(key, { sender, recipient, optedOut: false, history: [] } as never);
    const record = this.records.get(key)!;
    if (record.history.some((h) => h.inboundMessageId === change.inboundMessageId))
      return 'replayed';
    const flips = record.optedOut !== (action === 'opt-out');
    record.optedOut = action === 'opt-out';
    record.history.push({ ...change, action, ...(flips ? {} : { applied: false }) });
    return flips ? 'changed' : 'unchanged';
  }
}

const [A1, A2, B1, B2] = ['+14155550101', '+14155550102', '+14155550201', '+14155550202'];
const PERSON = '+14157654321';

function setUp(optOutScope: OptOutScope = 'pool') {
  const senders: SendersConfig = {
    pools: { a: [A1, A2], b: [B1, B2] },
    defaultPool: ['+14155550100'],
    owners: { [A1]: 'a', [A2]: 'a', [B1]: 'b', [B2]: 'b' },
    inboundCallbackUrls: {},
    optOutScope,
  };
  const config = { get: () => senders } as unknown as ConfigService<AllConfig, true>;
  const counter = { inc: jest.fn() };
  const metrics = { optOutChanges: counter, messages: counter } as unknown as MetricsService;
  const repository = new MemoryOptOuts();
  const service = new OptOutsService(repository as unknown as OptOutsRepository, metrics, config);
  let seq = 0;
  const keyword = (to: string, action: 'opt-out' | 'opt-in', uuid = `in-${seq++}`) =>
    service.applyKeyword(to, PERSON, action, {
      source: 'keyword',
      inboundMessageId: uuid,
      at: new Date(),
    });
  return { service, repository, keyword, counter };
}

describe('OptOutsService: opt-outs across a pool (OPT_OUT_SCOPE)', () => {
  it('pool: a STOP to one number stops its whole pool, in one read, and not the other pool', async () => {
    const { service, repository, keyword } = setUp();
    await keyword(A1, 'opt-out');
    expect(await service.isOptedOut(A2, PERSON)).toBe(true);
    expect(repository.reads.at(-1)).toEqual([A2, A1]);
    expect(await service.isOptedOut(B1, PERSON)).toBe(false);
    await expect(service.assertNotOptedOut(A2, PERSON, 'a')).rejects.toMatchObject({
      response: { code: 'RECIPIENT_OPTED_OUT' },
    });
    expect([...repository.records.keys()]).toEqual([`${A1}|${PERSON}`]);
  });

  it('number: a STOP stops that number only', async () => {
    const { service, keyword } = setUp('number');
    await keyword(A1, 'opt-out');
    expect(await service.isOptedOut(A1, PERSON)).toBe(true);
    expect(await service.isOptedOut(A2, PERSON)).toBe(false);
  });

  it('pool: START to another number of the pool lifts the STOP, once; counted once', async () => {
    const { service, repository, keyword, counter } = setUp();
    await keyword(A1, 'opt-out');
    counter.inc.mockClear();
    expect(await keyword(A2, 'opt-in', 'start-1')).toBe('changed');
    expect(await service.isOptedOut(A1, PERSON)).toBe(false);
    expect(counter.inc).toHaveBeenCalledTimes(1);
    expect(repository.records.get(`${A1}|${PERSON}`)?.history.at(-1)).toMatchObject({
      action: 'opt-in',
      inboundMessageId: 'start-1',
    });
    // Plivo retries it: acted before, nothing more.
    expect(await keyword(A2, 'opt-in', 'start-1')).toBe('replayed');
  });

  it('number: START to another number lifts nothing', async () => {
    const { service, keyword } = setUp('number');
    await keyword(A1, 'opt-out');
    expect(await keyword(A2, 'opt-in')).toBe('unchanged');
    expect(await service.isOptedOut(A1, PERSON)).toBe(true);
  });

  it('pool: a START replayed after a later STOP to another number of the pool lifts nothing', async () => {
    const { service, keyword } = setUp();
    // The START finds only its own number opted out: A1's record never saw its MessageUUID.
    await keyword(A2, 'opt-out');
    await keyword(A2, 'opt-in', 'start-1');
    await keyword(A1, 'opt-out', 'stop-2');
    expect(await keyword(A2, 'opt-in', 'start-1')).toBe('replayed');
    expect(await service.isOptedOut(A2, PERSON)).toBe(true);
  });

  it('pool: the API opt-in lifts every number of the pool; nothing when never opted out', async () => {
    const { service, keyword } = setUp();
    const change = { source: 'api' as const, clientId: 'ops', at: new Date() };
    await keyword(A1, 'opt-out');
    await keyword(A2, 'opt-out');
    await keyword(B1, 'opt-out');
    const records = await service.optInAcrossScope(A2, PERSON, change);
    expect(records.map((r) => [r.sender, r.optedOut])).toEqual([
      [A2, false],
      [A1, false],
    ]);
    expect(await service.isOptedOut(B2, PERSON)).toBe(true);
    expect(await service.optInAcrossScope(A1, '+14157650000', change)).toEqual([]);
  });
});
