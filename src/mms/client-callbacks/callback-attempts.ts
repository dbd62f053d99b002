import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { signingSecretsFor, StatusCallbacksConfig } from '../../config/status-callbacks.config';
import { describeError } from '../../shared/describe-error';
import { CallbackEvent } from '../message-log/callback-event.schema';
import { AttemptOutcome, ClaimedMessage } from './callback-outbox.repository';
import { CallbackHttp } from './callback-http';
import { callbackPayload } from './callback-payload';
import { outcomeOf, retryOrAbandon } from './callback-retry';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signCallback } from './callback-signature';

/** What must be left of a lease to start a request: room for the outcome's write. */
const SETTLE_MARGIN_MS = 2000;

/** One delivery attempt of a claimed message's first pending event, and what it did. */
@Injectable()
export class CallbackAttempts {
  private readonly logger = new Logger(CallbackAttempts.name);
  private readonly settings: StatusCallbacksConfig;

  constructor(
    private readonly http: CallbackHttp,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('statusCallbacks', { infer: true });
  }

  /**
   * An attempt that throws (a bug, a corrupt event) counts as a failed one: backed off, then
   * abandoned at the max age, rather than tried again at every lease for ever while the
   * message's later events wait behind it.
   */
  async make(claim: ClaimedMessage, event: CallbackEvent): Promise<AttemptOutcome> {
    try {
      return await this.attempt(claim, event);
    } catch (error) {
      this.logger.error(
        { messageId: claim.messageId.toHexString(), eventId: event.id, err: describeError(error) },
        'Status callback attempt failed unexpectedly',
      );
      return retryOrAbandon({ error: 'internal error' }, event, new Date(), this.settings);
    }
  }

  private async attempt(claim: ClaimedMessage, event: CallbackEvent): Promise<AttemptOutcome> {
    const started = new Date();
    const expires = new Date(event.occurredAt).getTime() + this.settings.maxAgeMs;
    // Never tried, and already too old (the gateway was down that long): abandoned untried. A
    // retried event's last try is scheduled at its max age at the latest, and made.
    if ((event.attempts ?? 0) === 0 && started.getTime() >= expires)
      return {
        state: 'abandoned',
        at: started,
        error: 'older than STATUS_CALLBACK_MAX_AGE_MS before it could be tried',
        attempted: false,
      };
    const secrets = signingSecretsFor(this.settings, claim.clientId);
    // The request may not outlive the lease (a slow claim, a paused process): after it, another
    // replica may take the message, and two deliveries of one event must never overlap.
    const leaseLeft = claim.leaseUntil.getTime() - Date.now() - SETTLE_MARGIN_MS;
    if (secrets.length === 0)
      // Not the client's failure: looked at again once an hour (the retry cap) until a secret is
      // set, and abandoned at the max age like any event.
      return retryOrAbandon({ error: 'no secret to sign with' }, event, new Date(), this.settings, {
        attempted: false,
        waitLongest: true,
      });
    if (leaseLeft < 100)
      return retryOrAbandon({ error: 'lease too short to try' }, event, new Date(), this.settings, {
        attempted: false,
      });
    const body = JSON.stringify(callbackPayload(claim.messageId.toHexString(), event));
    const result = await this.http.post(
      claim.url,
      body,
      {
        [SIGNATURE_HEADER]: signCallback(body, secrets, Date.now() / 1000),
        [EVENT_ID_HEADER]: event.id,
      },
      leaseLeft,
    );
    const at = new Date();
    const outcome = outcomeOf(result, event, at, this.settings);
    this.logger[outcome.state === 'delivered' ? 'debug' : 'warn'](
      {
        messageId: claim.messageId.toHexString(),
        eventId: event.id,
        sequence: event.sequence,
        state: outcome.state,
        httpStatus: outcome.httpStatus,
        error: outcome.error,
        attempts: (event.attempts ?? 0) + 1,
        nextAttemptAt: outcome.nextAttemptAt,
      },
      'Status callback attempt',
    );
    return outcome;
  }
}
