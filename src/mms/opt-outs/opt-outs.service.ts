import { Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { optOutScopeOf, SendersConfig } from '../../config/senders.config';
import { MetricsService } from '../../metrics/metrics.service';
import { OptOutChange } from './opt-out.schema';
import { OptOutRecord, OptOutsRepository } from './opt-outs.repository';

/**
 * Every change of the opt-out list goes through here: stored, counted, logged. The list keeps
 * one record per (number, recipient); OPT_OUT_SCOPE decides which records a question about one
 * number reads (optOutScopeOf: its whole pool, or the number alone), so a pool or the setting
 * can change without touching the stored records.
 */
@Injectable()
export class OptOutsService {
  private readonly logger = new Logger(OptOutsService.name);
  private readonly senders: SendersConfig;

  constructor(
    private readonly repository: OptOutsRepository,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.senders = config.get('senders', { infer: true });
  }

  /** The numbers whose opt-outs apply to messages from `sender`, `sender` first. */
  scopeOf(sender: string): string[] {
    const scope = optOutScopeOf(this.senders, sender);
    return [sender, ...scope.filter((number) => number !== sender)];
  }

  get scope(): SendersConfig['optOutScope'] {
    return this.senders.optOutScope;
  }

  /** Whether nothing may go from `sender` to `recipient`: opted out of any number of its scope. */
  isOptedOut(sender: string, recipient: string): Promise<boolean> {
    return this.repository.isOptedOut(this.scopeOf(sender), recipient);
  }

  /** Pairs opted out among these senders and recipients (a campaign's bulk check). */
  optedOutPairs(senders: string[], recipients: string[]) {
    return this.repository.optedOutPairs(senders, recipients);
  }

  /**
   * The send path's gate: 422 RECIPIENT_OPTED_OUT (counted as refused) when the recipient
   * opted out of this sender or of another number of its scope. One indexed read; nothing is
   * logged or sent when it throws.
   */
  async assertNotOptedOut(sender: string, recipient: string, clientId: string): Promise<void> {
    if (!(await this.isOptedOut(sender, recipient))) return;
    this.metrics.messages.inc({ outcome: 'refused', reason: 'opted-out', client: clientId });
    const pool = this.scopeOf(sender).length > 1 ? ' or another number of its pool' : '';
    throw new UnprocessableEntityException({
      message: `${recipient} has opted out of messages from ${sender}${pool} (STOP); nothing was sent`,
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
   * (OptOutsRepository.applyKeyword): 'replayed' when that message had acted before. A STOP
   * writes the receiving number's record only (the read of the scope does the rest). A START
   * also lifts every other number of the scope the person opted out of, each write guarded by
   * the MessageUUID (optIn); a replayed START lifts nothing, as a later STOP to another number
   * may be what it would undo. A crash between the two writes leaves the person opted out of
   * the others: the safe side, and their next START completes it.
   */
  async applyKeyword(
    sender: string,
    recipient: string,
    action: 'opt-out' | 'opt-in',
    change: Omit<OptOutChange, 'action' | 'applied'> & { inboundMessageId: string },
  ): Promise<'changed' | 'unchanged' | 'replayed'> {
    const result = await this.repository.applyKeyword(sender, recipient, action, change);
    if (action === 'opt-out' || result === 'replayed') {
      this.record(action, sender, change, result === 'changed');
      return result;
    }
    const others = await this.lift(this.scopeOf(sender).slice(1), recipient, change);
    const changed = result === 'changed' || others.length > 0;
    this.record(action, sender, change, changed, others);
    return changed ? 'changed' : 'unchanged';
  }

  /**
   * The API's opt-in: every number of `sender`'s scope the person opted out of is lifted (each
   * a conditional write). The records of the scope, none when the person never opted out of
   * any of them (a record holding only keywords that changed nothing does not count).
   */
  async optInAcrossScope(
    sender: string,
    recipient: string,
    change: Omit<OptOutChange, 'action'>,
  ): Promise<OptOutRecord[]> {
    const scope = this.scopeOf(sender);
    const lifted = await this.lift(scope, recipient, change);
    this.record('opt-in', sender, change, lifted.length > 0, lifted);
    const records = await this.repository.findAll(scope, recipient);
    return records.some((r) => r.history.some((h) => h.action === 'opt-out')) ? records : [];
  }

  /** True when this call changed the state (false: it already was so, or this change ran). */
  async optOut(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    const changed = await this.repository.optOut(sender, recipient, change);
    this.record('opt-out', sender, change, changed);
    return changed;
  }

  /**
   * Opts the person back into those of `numbers` they are opted out of (one read, then one
   * conditional write each, a no-op for a record whose history has this change's message):
   * the numbers it changed.
   */
  private async lift(
    numbers: readonly string[],
    recipient: string,
    change: Omit<OptOutChange, 'action' | 'applied'>,
  ): Promise<string[]> {
    if (numbers.length === 0) return [];
    const lifted: string[] = [];
    for (const record of await this.repository.findAll(numbers, recipient))
      if (record.optedOut && (await this.repository.optIn(record.sender, recipient, change)))
        lifted.push(record.sender);
    return lifted;
  }

  /** One change of the person's state is counted once, however many records it wrote. */
  private record(
    action: 'opt-out' | 'opt-in',
    sender: string,
    change: Omit<OptOutChange, 'action'>,
    changed: boolean,
    lifted: readonly string[] = [],
  ): void {
    if (!changed) return;
    this.metrics.optOutChanges.inc({ action, source: change.source });
    this.logger.log(
      { action, source: change.source, sender, ...(lifted.length ? { lifted } : {}) },
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
