import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { buildOptOutsConfig } from '../../config/opt-outs.config';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { OptOutChange } from '../opt-outs/opt-out.schema';
import { OptOutRecord, OptOutsRepository } from '../opt-outs/opt-outs.repository';
import { latestChangeIsBy, OptOutsService } from '../opt-outs/opt-outs.service';
import { ReplyWindows } from '../opt-outs/reply-windows';
import {
  ReplyNotSentError,
  ReplyResult,
  SendReplyUseCase,
} from '../send/usecases/send-reply/send-reply.usecase';
import { InboundKeywordsService } from './inbound-keywords.service';
import { InboundMessagesService } from './inbound-messages.service';
import { InboundWebhook } from './plivo-callback';

describe('latestChangeIsBy', () => {
  it('is true only when the latest change carries this inbound message', () => {
    const stop = { inboundMessageId: 'in-1' };
    expect(latestChangeIsBy([stop], 'in-1')).toBe(true);
    expect(latestChangeIsBy([stop, { inboundMessageId: 'in-2' }], 'in-1')).toBe(false);
    expect(latestChangeIsBy([stop, {}], 'in-1')).toBe(false); // superseded by the API
    expect(latestChangeIsBy([], 'in-1')).toBe(false);
    expect(latestChangeIsBy(undefined, 'in-1')).toBe(false);
    expect(latestChangeIsBy([{}], '')).toBe(false);
    // A keyword that changed nothing is no change: the one before it still made the state.
    expect(latestChangeIsBy([stop, { inboundMessageId: 'in-2', applied: false }], 'in-1')).toBe(
      true,
    );
    expect(latestChangeIsBy([{ inboundMessageId: 'in-1', applied: false }], 'in-1')).toBe(false);
  });
});

/** The repository's semantics in memory: a change applies once per message, when it changes. */
class MemoryOptOuts {
  readonly records = new Map<string, OptOutRecord>();
  async isOptedOut([sender]: string[], recipient: string) {
    return (await this.find(sender, recipient))?.optedOut === true; // OPT_OUT_SCOPE=number
  }
  async find(sender: string, recipient: string) {
    return this.records.get(`${sender}|${recipient}`) ?? null;
  }
  optOut(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    return this.apply(sender, recipient, { ...change, action: 'opt-out' });
  }
  optIn(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    return this.apply(sender, recipient, { ...change, action: 'opt-in' });
  }
  /** A keyword acts once per MessageUUID, recorded even when it changes nothing. */
  async applyKeyword(
    sender: string,
    recipient: string,
    action: 'opt-out' | 'opt-in',
    change: Omit<OptOutChange, 'action'>,
  ) {
    const record = this.recordOf(sender, recipient);
    if (record.history.some((h) => h.inboundMessageId === change.inboundMessageId))
      return 'replayed';
    const flips = (record.optedOut ?? false) !== (action === 'opt-out');
    record.optedOut = action === 'opt-out';
    record.history.push({ ...change, action, ...(flips ? {} : { applied: false }) });
    return flips ? 'changed' : 'unchanged';
  }
  private async apply(sender: string, recipient: string, change: OptOutChange) {
    const record = this.recordOf(sender, recipient);
    const optedOut = change.action === 'opt-out';
    if ((record.optedOut ?? false) === optedOut) return false;
    record.optedOut = optedOut;
    record.history.push(change);
    return true;
  }
  private recordOf(sender: string, recipient: string): OptOutRecord {
    const key = `${sender}|${recipient}`;
    if (!this.records.has(key))
      this.records.set(key, { sender, recipient, optedOut: false, history: [] } as never);
    return this.records.get(key)!;
  }
}

describe('InboundMessagesService: the STOP confirmation across Plivo retries', () => {
  const counter = { inc: () => undefined };
  const metrics = {
    optOutChanges: counter,
    optOutReplies: counter,
    webhookEvents: counter,
  } as unknown as MetricsService;
  const optOutsConfig = buildOptOutsConfig({
    OPT_OUT_REPLY: 'Unsubscribed.',
    OPT_IN_REPLY: 'Welcome back.',
    HELP_REPLY: 'Help: reply STOP.',
  });
  const config = {
    get: () => ({ ...optOutsConfig, inboundClients: {}, optOutScope: 'number' }), // every namespace
  } as unknown as ConfigService<AllConfig, true>;

  function setUp(storing: Array<() => Promise<'stored' | 'duplicate'>>) {
    const repository = new MemoryOptOuts();
    const sendReply = {
      execute: jest.fn(async (): Promise<ReplyResult> => ({
        outcome: 'sent',
        mayHaveReachedPlivo: true,
      })),
    };
    const windows = {
      claim: jest.fn(async (): Promise<string | undefined> => 'token-1'),
      release: jest.fn(async () => undefined),
    };
    const keywords = new InboundKeywordsService(
      new OptOutsService(repository as unknown as OptOutsRepository, metrics, config),
      windows as unknown as ReplyWindows,
      sendReply as unknown as SendReplyUseCase,
      metrics,
      config,
    );
    const logs = { createInbound: jest.fn(() => storing.shift()!()) };
    const inbound = new InboundMessagesService(
      logs as unknown as MessageLogRepository,
      metrics,
      keywords,
      config,
    );
    return { inbound, keywords, sendReply, repository, windows };
  }
  const message = (uuid: string, text: string): InboundWebhook => ({
    messageUuid: uuid,
    from: '+14157654321',
    to: '+14155550100',
    type: 'sms',
    text,
    mediaUrls: [],
  });
  const down = () => Promise.reject(new Error('database down'));
  const stored = () => Promise.resolve('stored' as const);
  const duplicate = () => Promise.resolve('duplicate' as const);

  it('the opt-out applied but storing failed (503): the retry sends the one confirmation', async () => {
    const { inbound, keywords, sendReply, repository } = setUp([down, stored, duplicate]);
    const stop = message('in-1', 'STOP');
    await expect(inbound.store(stop)).rejects.toThrow('database down');
    expect(repository.records.get('+14155550100|+14157654321')?.optedOut).toBe(true);
    await expect(inbound.store(stop)).resolves.toBe('stored');
    await expect(inbound.store(stop)).resolves.toBe('duplicate'); // a third delivery: nothing
    await keywords.onModuleDestroy();
    expect(sendReply.execute).toHaveBeenCalledTimes(1);
    expect(sendReply.execute).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'opt-out-confirmation', to: '+14157654321' }),
    );
  });

  it('a second STOP, or a retried STOP superseded by a START, gets no confirmation', async () => {
    const { inbound, keywords, sendReply } = setUp([down, stored, stored, stored, stored]);
    await expect(inbound.store(message('in-1', 'STOP'))).rejects.toThrow(); // applied, not stored
    await inbound.store(message('in-2', 'START'));
    await inbound.store(message('in-1', 'STOP')); // Plivo's late retry: the START came after
    await inbound.store(message('in-3', 'STOP')); // a new STOP: confirmed
    await inbound.store(message('in-4', 'STOP')); // already opted out: nothing
    await keywords.onModuleDestroy();
    const reasons = sendReply.execute.mock.calls.map((call) => (call as unknown[])[0]);
    expect(reasons).toHaveLength(2);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: 'opt-in-confirmation' }), // the START's
        expect.objectContaining({ reason: 'opt-out-confirmation', text: 'Unsubscribed.' }),
      ]),
    );
  });

  it('a "Yes" that changed nothing, retried or replayed after a STOP, does not opt back in', async () => {
    const { inbound, keywords, repository } = setUp([stored, stored, duplicate]);
    await inbound.store(message('in-yes', 'Yes')); // never opted out: changes nothing
    await inbound.store(message('in-stop', 'STOP'));
    await inbound.store(message('in-yes', 'Yes')); // the same webhook again
    await keywords.onModuleDestroy();
    const record = repository.records.get('+14155550100|+14157654321');
    expect(record?.optedOut).toBe(true);
    expect(record?.history.map((h) => [h.inboundMessageId, h.action, h.applied])).toEqual([
      ['in-yes', 'opt-in', false],
      ['in-stop', 'opt-out', undefined],
    ]);
  });

  describe('the reply window', () => {
    it('a HELP from an opted-out number is answered (CTIA), within its window', async () => {
      const { inbound, keywords, sendReply, windows } = setUp([stored, stored, stored]);
      await inbound.store(message('in-1', 'STOP'));
      await keywords.onModuleDestroy();
      windows.claim.mockClear();
      sendReply.execute.mockClear();
      await inbound.store(message('in-2', 'HELP'));
      await keywords.onModuleDestroy();
      expect(windows.claim).toHaveBeenCalledWith('+14155550100', '+14157654321', 'help');
      expect(sendReply.execute).toHaveBeenCalledWith(
        expect.objectContaining({ reason: 'help', to: '+14157654321', text: 'Help: reply STOP.' }),
      );
      windows.claim.mockResolvedValueOnce(undefined); // the window is taken: throttled
      sendReply.execute.mockClear();
      await inbound.store(message('in-3', 'HELP'));
      await keywords.onModuleDestroy();
      expect(sendReply.execute).not.toHaveBeenCalled();
    });

    it('a START confirmation to a number opted out again meanwhile is suppressed before any window is claimed', async () => {
      const { keywords, sendReply, windows, repository } = setUp([]);
      await repository.optOut('+14155550100', '+14157654321', { source: 'api', at: new Date() });
      keywords.reply('opt-in', message('in-1', 'START'), true);
      await keywords.onModuleDestroy();
      expect(windows.claim).not.toHaveBeenCalled();
      expect(sendReply.execute).not.toHaveBeenCalled();
    });

    it.each([
      ['suppressed after the claim (a STOP in between)', 'suppressed', false, true],
      ['refused before Plivo had it', 'failed', false, true],
      ['failed when Plivo may have it (a timeout)', 'failed', true, false],
      ['sent', 'sent', true, false],
    ] as const)(
      'a reply %s (outcome %s, may have reached Plivo: %s): given back = %s',
      async (_, outcome, reached, released) => {
        const { inbound, keywords, sendReply, windows } = setUp([stored]);
        sendReply.execute.mockResolvedValueOnce({ outcome, mayHaveReachedPlivo: reached });
        await inbound.store(message('in-1', 'HELP'));
        await keywords.onModuleDestroy();
        expect(windows.claim).toHaveBeenCalledTimes(1);
        if (released)
          expect(windows.release).toHaveBeenCalledWith(
            '+14155550100',
            '+14157654321',
            'help',
            'token-1',
          );
        else expect(windows.release).not.toHaveBeenCalled();
      },
    );

    it('gives the window back when the reply could not be logged (Plivo never called), not on an unknown error', async () => {
      const { inbound, keywords, sendReply, windows } = setUp([stored, stored]);
      sendReply.execute.mockRejectedValueOnce(new ReplyNotSentError(new Error('db down')));
      await inbound.store(message('in-1', 'HELP'));
      await keywords.onModuleDestroy();
      expect(windows.release).toHaveBeenCalledTimes(1);
      sendReply.execute.mockRejectedValueOnce(new Error('after Plivo, unknown'));
      await inbound.store(message('in-2', 'HELP'));
      await keywords.onModuleDestroy();
      expect(windows.release).toHaveBeenCalledTimes(1);
    });
  });
});
