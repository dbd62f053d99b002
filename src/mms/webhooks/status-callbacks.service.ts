import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import {
  MessageLogRepository,
  MessageMatch,
  StatusChangeResult,
} from '../message-log/message-log.repository';
import { CallbackParams, parseStatusCallback, StatusCallback } from './plivo-callback';
import { describePlivoErrorCode, isSuccessCode } from '../plivo/plivo-error-codes';
import { UnmatchedCallback } from './unmatched-callback.schema';
import { OptOutsService } from '../opt-outs/opt-outs.service';
import { isDuplicateKeyError } from '../../shared/duplicate-key';

/** How long an orphan is retried (it is kept for inspection until its TTL, see the schema). */
const ORPHAN_RETRY_MS = 15 * 60 * 1000;

export type CallbackOutcome = StatusChangeResult | 'stored-unmatched';

/**
 * Applies Plivo's signed status callbacks to the message log (the guard verified them); a
 * callback that arrives before its message can be found is kept and retried by a sweep.
 */
@Injectable()
export class StatusCallbacksService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(StatusCallbacksService.name);
  private readonly sweepIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly logs: MessageLogRepository,
    @InjectModel(UnmatchedCallback.name) private readonly unmatched: Model<UnmatchedCallback>,
    config: ConfigService<AllConfig, true>,
    private readonly metrics: MetricsService,
    private readonly optOuts: OptOutsService,
  ) {
    this.sweepIntervalMs = config.get('app.unmatchedCallbackSweepMs', { infer: true });
  }

  onModuleInit(): void {
    if (this.sweepIntervalMs > 0) {
      this.timer = setInterval(() => void this.sweepUnmatched(), this.sweepIntervalMs);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async applyStatusCallback(
    params: CallbackParams,
    ref: string | undefined,
  ): Promise<CallbackOutcome> {
    const callback = parseStatusCallback(params);
    const outcome = await this.apply(callback, ref);
    this.metrics.webhookEvents.inc({
      kind: 'status',
      status: callback.status,
      verdict: 'accepted',
    });
    if (outcome !== 'not-found') return outcome;
    await this.storeUnmatched(callback, ref, params);
    return 'stored-unmatched';
  }

  /** Retries callbacks that arrived before their message could be found. */
  async sweepUnmatched(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let applied = 0;
    try {
      // A callback that raced its send finds its message within seconds; older orphans (callbacks
      // for messages this service never sent) are only kept for inspection, then dropped. Newest
      // first, so a pile of old orphans can never starve a fresh one.
      // Orphans are deleted a week after they arrived by the TTL index on receivedAt.
      const now = Date.now();
      const pending = await this.unmatched
        .find({ receivedAt: { $gte: new Date(now - ORPHAN_RETRY_MS) } })
        .sort({ receivedAt: -1 })
        .limit(100)
        .lean()
        .exec();
      for (const orphan of pending) {
        const params = JSON.parse(orphan.paramsJson) as CallbackParams;
        const outcome = await this.apply(parseStatusCallback(params), orphan.ref);
        if (outcome === 'not-found') {
          await this.unmatched.updateOne({ _id: orphan._id }, { $inc: { sweeps: 1 } });
          continue;
        }
        await this.unmatched.deleteOne({ _id: orphan._id });
        applied++;
      }
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'Unmatched-callback sweep failed; will retry',
      );
    } finally {
      this.sweeping = false;
    }
    return applied;
  }

  /**
   * Applies the callback; one with error 200 (the recipient opted out at the carrier) also opts
   * the message's (sender, recipient) out. That runs for a replayed callback too (the opt-out is
   * a no-op when already done), so a failure between the two writes is repaired by Plivo's retry.
   */
  private async apply(
    callback: StatusCallback,
    ref: string | undefined,
  ): Promise<StatusChangeResult> {
    const match = matchOf(callback, ref);
    const result = await this.applyToLog(callback, match);
    if (result !== 'not-found' && isOptOutCode(callback.errorCode)) {
      const message = await this.logs.findParties(match);
      if (message?.direction === 'outbound')
        await this.optOuts.optOut(message.sender, message.recipient, {
          source: 'callback-error-200',
          messageId: message._id.toHexString(),
          reason: describePlivoErrorCode(callback.errorCode!),
          at: new Date(),
        });
    }
    return result;
  }

  private applyToLog(callback: StatusCallback, match: MessageMatch): Promise<StatusChangeResult> {
    const failed = !isSuccessCode(callback.errorCode);
    return this.logs.applyStatusChange(match, {
      status: callback.status,
      source: 'plivo-callback',
      eventKey: eventKey(callback),
      errorCode: failed ? callback.errorCode : undefined,
      delivery: Object.keys(callback.details).length > 0 ? callback.details : undefined,
      setIfApplied: failed
        ? {
            errorCode: callback.errorCode,
            errorMessage: describePlivoErrorCode(callback.errorCode!),
          }
        : undefined,
    });
  }

  private async storeUnmatched(
    callback: StatusCallback,
    ref: string | undefined,
    params: CallbackParams,
  ): Promise<void> {
    try {
      await this.unmatched.create({
        eventKey: eventKey(callback),
        messageUuid: callback.messageUuid,
        ref,
        paramsJson: JSON.stringify(params),
        receivedAt: new Date(),
      });
      this.logger.warn(
        { messageUuid: callback.messageUuid, status: callback.status },
        'Status callback for an unknown message kept for later',
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}

/**
 * ref (our log id, in the callback URL Plivo signed) finds the log even before the send
 * response stored Plivo's UUID; without it, the UUID does.
 */
function matchOf(callback: StatusCallback, ref: string | undefined): MessageMatch {
  return ref && /^[0-9a-f]{24}$/i.test(ref)
    ? { _id: new Types.ObjectId(ref) }
    : { plivoMessageUuid: callback.messageUuid };
}

/** Plivo's error 200: the destination opted out (STOP) of this source number. */
const isOptOutCode = (code: string | undefined): boolean =>
  code !== undefined && /^0*200$/.test(code);

/** Same MessageUUID, Status and Sequence = the same event: applied once however often it comes. */
function eventKey(callback: StatusCallback): string {
  return `${callback.messageUuid}|${callback.status}|${callback.sequence ?? ''}`;
}
