import { Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { MetricsService } from '../../metrics/metrics.service';
import { OptOutChange } from './opt-out.schema';
import { OptOutsRepository } from './opt-outs.repository';

/** Every change of the opt-out list goes through here: stored, counted, logged. */
@Injectable()
export class OptOutsService {
  private readonly logger = new Logger(OptOutsService.name);

  constructor(
    private readonly repository: OptOutsRepository,
    private readonly metrics: MetricsService,
  ) {}

  isOptedOut(sender: string, recipient: string): Promise<boolean> {
    return this.repository.isOptedOut(sender, recipient);
  }

  /** Pairs opted out among these senders and recipients (a campaign's bulk check). */
  optedOutPairs(senders: string[], recipients: string[]) {
    return this.repository.optedOutPairs(senders, recipients);
  }

  /**
   * The send path's gate: 422 RECIPIENT_OPTED_OUT (counted as refused) when the recipient
   * opted out of this sender. One indexed read; nothing is logged or sent when it throws.
   */
  async assertNotOptedOut(sender: string, recipient: string, clientId: string): Promise<void> {
    if (!(await this.repository.isOptedOut(sender, recipient))) return;
    this.metrics.messages.inc({ outcome: 'refused', reason: 'opted-out', client: clientId });
    throw new UnprocessableEntityException({
      message: `${recipient} has opted out of messages from ${sender} (STOP); nothing was sent`,
      code: 'RECIPIENT_OPTED_OUT',
    });
  }

  /**
   * Whether the inbound message `inboundMessageId` made the pair's current state (its change is
   * the latest): true for the delivery that applied a STOP/START and for Plivo's retries of it,
   * false once a later change (another keyword, the API, an error 200) superseded it.
   */
  async isLatestChangeBy(sender: string, recipient: string, inboundMessageId: string) {
    const record = await this.repository.find(sender, recipient);
    return latestChangeIsBy(record?.history, inboundMessageId);
  }

  /**
   * A STOP/START keyword, acted on at most once per inbound MessageUUID whatever it changed
   * (OptOutsRepository.applyKeyword): 'replayed' when that message had acted before.
   */
  async applyKeyword(
    sender: string,
    recipient: string,
    action: 'opt-out' | 'opt-in',
    change: Omit<OptOutChange, 'action' | 'applied'> & { inboundMessageId: string },
  ) {
    const result = await this.repository.applyKeyword(sender, recipient, action, change);
    this.record(action, sender, change, result === 'changed');
    return result;
  }

  /** True when this call changed the state (false: it already was so, or this change ran). */
  async optOut(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    const changed = await this.repository.optOut(sender, recipient, change);
    this.record('opt-out', sender, change, changed);
    return changed;
  }

  async optIn(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    const changed = await this.repository.optIn(sender, recipient, change);
    this.record('opt-in', sender, change, changed);
    return changed;
  }

  private record(
    action: 'opt-out' | 'opt-in',
    sender: string,
    change: Omit<OptOutChange, 'action'>,
    changed: boolean,
  ): void {
    if (!changed) return;
    this.metrics.optOutChanges.inc({ action, source: change.source });
    this.logger.log(
      { action, source: change.source, sender },
      action === 'opt-out' ? 'Recipient opted out' : 'Recipient opted back in',
    );
  }
}

/**
 * The decision behind isLatestChangeBy: the last entry that changed the state (keywords that
 * changed nothing are skipped) carries that inbound message.
 */
export function latestChangeIsBy(
  history: readonly Pick<OptOutChange, 'inboundMessageId' | 'applied'>[] | undefined,
  inboundMessageId: string,
): boolean {
  const latest = history?.filter((entry) => entry.applied !== false).at(-1);
  return !!inboundMessageId && latest?.inboundMessageId === inboundMessageId;
}
