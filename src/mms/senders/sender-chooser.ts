import { ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { poolOfClient, SendersConfig } from '../../config/senders.config';
import { MetricsService } from '../../metrics/metrics.service';
import { Channel, Pacer } from '../pacing/pacer';
import { areaCodeOf, ChosenSender } from './sender-choice';
import { SenderActivityRepository } from './sender-activity.repository';

export interface SenderQuestion {
  clientId: string;
  recipient: string;
  channel: Channel;
  /** When the message is to go: now, or its sendAt. */
  at: Date;
  /** The number the send names: it must be in the caller's pool. */
  requested?: string;
}

/** A question with the caller's pool (SENDER_NUMBERS, else PLIVO_SENDER_NUMBER), in its order. */
type PoolQuestion = SenderQuestion & { pool: string[] };

/**
 * The sender of a send: the one it names, which must be in the caller's pool (else 403
 * SENDER_NOT_ALLOWED, nothing sent); for a send naming none, in this order: the pool's only number (no read at all:
 * the common case costs the send path nothing); the number the recipient last exchanged
 * messages with (sticky, so a conversation keeps one number); one with the recipient's area
 * code; else the one that can take a message soonest under the per-number pacing. Ties (no
 * per-number cap, or several numbers free now) go round-robin, so the load spreads over the
 * pool without any shared state: each replica turns on its own, which spreads as well.
 */
@Injectable()
export class SenderChooser {
  /** Pool (its numbers joined) → how many ties this replica has broken in it. */
  private readonly turns = new Map<string, number>();
  private readonly senders: SendersConfig;

  constructor(
    private readonly activity: SenderActivityRepository,
    private readonly pacer: Pacer,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.senders = config.get('senders', { infer: true });
  }

  async choose(question: SenderQuestion): Promise<ChosenSender> {
    const pool = poolOfClient(this.senders, question.clientId);
    const { requested } = question;
    if (requested !== undefined && !pool.includes(requested))
      throw new ForbiddenException({
        message: `senderNumber ${requested} is not one of this client's sender numbers (SENDER_NUMBERS); nothing was sent`,
        code: 'SENDER_NOT_ALLOWED',
        errors: [{ field: 'senderNumber', messages: ['not one of your sender numbers'] }],
      });
    const chosen = await this.chooseFrom({ ...question, pool });
    this.metrics.senderChoices.inc({ sender: chosen.sender, choice: chosen.choice });
    return chosen;
  }

  private async chooseFrom(question: PoolQuestion): Promise<ChosenSender> {
    const { pool, clientId, recipient } = question;
    if (question.requested) return { sender: question.requested, choice: 'requested' };
    if (pool.length === 1) return { sender: pool[0], choice: 'only' };
    const last = await this.activity.lastExchanged(clientId, recipient, pool);
    if (last && pool.includes(last)) return { sender: last, choice: 'sticky' };
    const area = areaCodeOf(recipient);
    const local = area ? pool.filter((number) => areaCodeOf(number) === area) : [];
    if (local.length > 0)
      return { sender: await this.soonest(question, local), choice: 'area-code' };
    return { sender: await this.soonest(question, pool), choice: 'soonest' };
  }

  /** The candidate free soonest under the per-number caps; ties round-robin. */
  private async soonest(question: PoolQuestion, candidates: string[]): Promise<string> {
    let earliest = candidates;
    // Without a cap per number every number is free at the same time: no read needed.
    if (candidates.length > 1 && this.pacer.pacesSenders(question.channel)) {
      const times = await this.pacer.estimateEach(question.channel, candidates, question.at);
      const first = Math.min(...times.map((t) => t.getTime()));
      earliest = candidates.filter((_, i) => times[i].getTime() === first);
    }
    if (earliest.length === 1) return earliest[0];
    const key = question.pool.join(',');
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, turn + 1);
    return earliest[turn % earliest.length];
  }
}
