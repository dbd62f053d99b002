import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { OptOutsConfig } from '../../config/opt-outs.config';
import { MetricsService } from '../../metrics/metrics.service';
import { describeError } from '../../shared/describe-error';
import { classifyInbound, KeywordKind } from '../opt-outs/keywords';
import { OptOutsService } from '../opt-outs/opt-outs.service';
import { ReplyWindows } from '../opt-outs/reply-windows';
import {
  ReplyNotSentError,
  ReplyReason,
  SendReplyUseCase,
} from '../send/usecases/send-reply/send-reply.usecase';
import { InboundWebhook } from './plivo-callback';

const REASONS: Record<KeywordKind, ReplyReason> = {
  'opt-out': 'opt-out-confirmation',
  'opt-in': 'opt-in-confirmation',
  help: 'help',
};

/**
 * STOP, START and HELP on inbound messages: the opt-out list changed (before the message is
 * stored, and at most once per MessageUUID, so a webhook that failed half-way is completed by
 * Plivo's retry), then the configured reply, sent in the background so the webhook answers at
 * once.
 */
@Injectable()
export class InboundKeywordsService implements OnModuleDestroy {
  private readonly logger = new Logger(InboundKeywordsService.name);
  private readonly config: OptOutsConfig;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly optOuts: OptOutsService,
    private readonly windows: ReplyWindows,
    private readonly sendReply: SendReplyUseCase,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.config = config.get('optOuts', { infer: true });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  classify(message: InboundWebhook): KeywordKind | undefined {
    return classifyInbound(message.text, message.intent, this.config.keywords);
  }

  /**
   * The list change a keyword asks for, at most once per MessageUUID whatever it changed (a
   * retried or replayed "Yes" never undoes a later STOP). True when this inbound message is the
   * one that made the current state: it changed it now, or it did on an earlier delivery that
   * Plivo is retrying (e.g. storing the message failed after the change, so the confirmation
   * was never sent) and nothing changed since. False for a STOP that found the number already
   * opted out.
   */
  async act(kind: KeywordKind, message: InboundWebhook): Promise<boolean> {
    if (kind === 'help') return false;
    const change = {
      source: 'keyword' as const,
      inboundMessageId: message.messageUuid,
      reason: (message.text ?? message.intent ?? '').trim().slice(0, 64),
      at: new Date(),
    };
    // The person (From) opts out of, or back into, our number that received it (To).
    const result = await this.optOuts.applyKeyword(message.to, message.from, kind, change);
    if (result !== 'replayed') return result === 'changed';
    return this.optOuts.isLatestChangeBy(message.to, message.from, message.messageUuid);
  }

  /**
   * The reply, when configured: for STOP and START only from the inbound message that made the
   * list's current state (`applied`, from act: a second STOP gets no second confirmation, while
   * a retry of a STOP whose storing failed still gets its one), at most one per (number, kind)
   * per 5 minutes across replicas. HELP is always answered, from an opted-out number too (CTIA);
   * the START confirmation never goes to one. The caller calls it only for the delivery that
   * stored the message.
   */
  reply(kind: KeywordKind, message: InboundWebhook, applied: boolean, clientId?: string): void {
    const text = this.config.replies[kind];
    if (!text) return void this.metrics.optOutReplies.inc({ kind, outcome: 'off' });
    // Counted: the decision (no confirmation) is then visible the moment the webhook answers.
    if (kind !== 'help' && !applied)
      return void this.metrics.optOutReplies.inc({ kind, outcome: 'unchanged' });
    const task = this.sendInBackground(kind, message, text, clientId);
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /**
   * Suppression first (a START confirmation to a number a later STOP opted out again claims no
   * window), then the window, then the send. The window is given back when the reply turns out suppressed or its send failed
   * before Plivo could have it (the next keyword then gets its reply), never when Plivo may
   * have it (a timeout) or when it is unknown how far it went.
   */
  private async sendInBackground(
    kind: KeywordKind,
    message: InboundWebhook,
    text: string,
    clientId: string | undefined,
  ): Promise<void> {
    const [from, to] = [message.to, message.from];
    let token: string | undefined;
    try {
      if (kind === 'opt-in' && (await this.optOuts.isOptedOut(from, to))) {
        this.metrics.optOutReplies.inc({ kind, outcome: 'suppressed' });
        return;
      }
      token = await this.windows.claim(from, to, kind);
      if (!token) {
        this.metrics.optOutReplies.inc({ kind, outcome: 'throttled' });
        return;
      }
      const result = await this.sendReply.execute({
        from,
        to,
        text,
        reason: REASONS[kind],
        clientId,
      });
      this.metrics.optOutReplies.inc({ kind, outcome: result.outcome });
      if (!result.mayHaveReachedPlivo) await this.windows.release(from, to, kind, token);
    } catch (error) {
      this.metrics.optOutReplies.inc({ kind, outcome: 'failed' });
      this.logger.warn({ kind, err: describeError(error) }, 'Keyword reply not sent');
      if (token && error instanceof ReplyNotSentError)
        await this.windows
          .release(from, to, kind, token)
          .catch((e: unknown) =>
            this.logger.warn({ kind, err: describeError(e) }, 'Reply window not given back'),
          );
    }
  }
}
