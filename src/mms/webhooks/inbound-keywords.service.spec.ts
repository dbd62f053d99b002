import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { buildOptOutsConfig } from '../../config/opt-outs.config';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { OptOutChange } from '../opt-outs/opt-out.schema';
import { OptOutRecord, OptOutsRepository } from '../opt-outs/opt-outs.repository';
import { latestChangeIsBy, OptOutsService } from '../opt-outs/opt-outs.service';
import { ReplyWindows } from '../opt-outs/reply-windows';
import { SendReplyUseCase } from '../send/usecases/send-reply/send-reply.usecase';
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
  });
});

/** The repository's semantics in memory: a change applies once per message, when it changes. */
class MemoryOptOuts {
  readonly records = new Map<string, OptOutRecord>();
  async find(sender: string, recipient: string) {
    return this.records.get(`${sender}|${recipient}`) ?? null;
  }
  optOut(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    return this.apply(sender, recipient, { ...change, action: 'opt-out' });
  }
  optIn(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    return this.apply(sender, recipient, { ...change, action: 'opt-in' });
  }
  private async apply(sender: string, recipient: string, change: OptOutChange) {
    const key = `${sender}|${recipient}`;
    const record = this.records.get(key) ?? ({ sender, recipient, history: [] } as never);
    const optedOut = change.action === 'opt-out';
    if ((record.optedOut ?? false) === optedOut) return false;
    if (record.history.some((h) => h.inboundMessageId === change.inboundMessageId)) return false;
    record.optedOut = optedOut;
    record.history.push(change);
    this.records.set(key, record);
    return true;
  }
}

describe('InboundMessagesService: the STOP confirmation across Plivo retries', () => {
  const counter = { inc: () => undefined };
  const metrics = {
    optOutChanges: counter,
    optOutReplies: counter,
    webhookEvents: counter,
  } as unknown as MetricsService;
  const optOutsConfig = buildOptOutsConfig({ OPT_OUT_REPLY: 'Unsubscribed.' });
  const config = {
    get: (key: string) => (key === 'optOuts' ? optOutsConfig : { inboundClients: {} }),
  } as unknown as ConfigService<AllConfig, true>;

  function setUp(storing: Array<() => Promise<'stored' | 'duplicate'>>) {
    const repository = new MemoryOptOuts();
    const sendReply = { execute: jest.fn(async () => 'sent' as const) };
    const keywords = new InboundKeywordsService(
      new OptOutsService(repository as unknown as OptOutsRepository, metrics),
      { claim: async () => true } as unknown as ReplyWindows,
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
    return { inbound, keywords, sendReply, repository };
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
    expect(sendReply.execute).toHaveBeenCalledTimes(1);
  });
});
