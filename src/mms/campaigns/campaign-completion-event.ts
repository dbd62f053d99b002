import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { signingSecretsFor, StatusCallbacksConfig } from '../../config/status-callbacks.config';
import { CallbackHttp } from '../client-callbacks/callback-http';
import { outcomeOf, retryOrAbandon } from '../client-callbacks/callback-retry';
import { AttemptOutcome } from '../client-callbacks/callback-outbox.repository';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  signCallback,
} from '../client-callbacks/callback-signature';
import { ClaimedCampaign } from './campaign-monitor.repository';

/** What must be left of the monitor's lease to start a request: room for the outcome's write. */
const SETTLE_MARGIN_MS = 2000;

/** The JSON body of the `campaign.completed` event (README "Campaigns"). */
export function completionPayload(campaign: ClaimedCampaign) {
  const event = campaign.completionEvent!;
  return {
    id: event.id,
    type: 'campaign.completed',
    campaignId: campaign.id.toHexString(),
    name: campaign.name,
    counts: event.counts ?? {},
    startedAt: campaign.startedAt?.toISOString() ?? null,
    finishedAt: campaign.finishedAt?.toISOString() ?? null,
  };
}

/**
 * One delivery attempt of a completed campaign's event to its statusCallbackUrl, made as the
 * message status callbacks are (client-callbacks): signed with the client's secrets
 * (X-Mms-Signature, X-Mms-Event-Id), the URL checked again, one deadline, and the same answer
 * rules and backoff (2xx done, 410 stopped, a refused URL abandoned, else retried until
 * STATUS_CALLBACK_MAX_AGE_MS).
 */
@Injectable()
export class CampaignCompletionEvent {
  private readonly logger = new Logger(CampaignCompletionEvent.name);
  private readonly settings: StatusCallbacksConfig;

  constructor(
    private readonly http: CallbackHttp,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('statusCallbacks', { infer: true });
  }

  /** Long enough for one attempt and its outcome's write. */
  get leaseMs(): number {
    return this.settings.leaseMs;
  }

  async attempt(campaign: ClaimedCampaign): Promise<AttemptOutcome> {
    const event = campaign.completionEvent!;
    const secrets = signingSecretsFor(this.settings, campaign.clientId);
    if (secrets.length === 0)
      return retryOrAbandon({ error: 'no secret to sign with' }, event, new Date(), this.settings, {
        attempted: false,
        waitLongest: true,
      });
    const leaseLeft = campaign.leaseUntil.getTime() - Date.now() - SETTLE_MARGIN_MS;
    if (leaseLeft < 100)
      return retryOrAbandon({ error: 'lease too short to try' }, event, new Date(), this.settings, {
        attempted: false,
      });
    const body = JSON.stringify(completionPayload(campaign));
    const result = await this.http.post(
      campaign.statusCallbackUrl!,
      body,
      {
        [SIGNATURE_HEADER]: signCallback(body, secrets, Date.now() / 1000),
        [EVENT_ID_HEADER]: event.id,
      },
      leaseLeft,
    );
    const outcome = outcomeOf(result, event, new Date(), this.settings);
    this.logger[outcome.state === 'delivered' ? 'debug' : 'warn'](
      {
        campaignId: campaign.id.toHexString(),
        eventId: event.id,
        state: outcome.state,
        httpStatus: outcome.httpStatus,
        error: outcome.error,
        nextAttemptAt: outcome.nextAttemptAt,
      },
      'Campaign completion event attempt',
    );
    return outcome;
  }
}
