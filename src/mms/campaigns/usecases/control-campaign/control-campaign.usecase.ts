import { ConflictException, Injectable } from '@nestjs/common';
import { Client } from '../../../../auth/client';
import { MetricsService } from '../../../../metrics/metrics.service';
import { CampaignMessagesRepository } from '../../../message-log/campaign-messages.repository';
import { readersFor } from '../../../messages/message-view';
import { CampaignStatus } from '../../campaign.schema';
import { CampaignRecord, CampaignsRepository } from '../../campaigns.repository';
import { CampaignDto } from '../../dto/campaign-views.dto';
import {
  campaignIdOf,
  CampaignProgressUseCase,
} from '../campaign-progress/campaign-progress.usecase';

type Control = 'pause' | 'resume' | 'cancel';

/** The statuses each control acts from, and the one that means it already happened. */
const FROM: Record<Control, { from: CampaignStatus[]; done: CampaignStatus[] }> = {
  pause: { from: ['scheduled', 'running'], done: ['paused'] },
  resume: { from: ['paused'], done: ['scheduled', 'running'] },
  cancel: { from: ['scheduled', 'running', 'paused'], done: ['canceled'] },
};

/**
 * POST /campaigns/{id}/pause, /resume and /cancel: the campaign's status first (one conditional
 * write, so concurrent controls serialise on it), then its held messages in ONE update. Each is
 * idempotent: asked again, the message update runs again (finishing one that died half-way)
 * and the answer is the same. A campaign that ended (or was canceled): 409 CAMPAIGN_FINISHED.
 */
@Injectable()
export class ControlCampaignUseCase {
  constructor(
    private readonly campaigns: CampaignsRepository,
    private readonly messages: CampaignMessagesRepository,
    private readonly progress: CampaignProgressUseCase,
    private readonly metrics: MetricsService,
  ) {}

  async execute(control: Control, id: string, client: Client): Promise<CampaignDto> {
    const campaignId = campaignIdOf(id);
    const readers = readersFor(client);
    const { from, done } = FROM[control];
    let campaign = await this.campaigns.transition(
      campaignId,
      readers,
      from,
      ...this.targetOf(control),
    );
    const changed = campaign !== null;
    if (campaign) this.metrics.campaignTransitions.inc({ status: campaign.status });
    else {
      campaign = await this.progress.find(id, client);
      if (!done.includes(campaign.status)) throw notNow(control, campaign);
    }
    await this.applyToMessages(control, campaign, changed);
    return this.progress.get(id, client);
  }

  private targetOf(control: Control): [CampaignStatus, Partial<CampaignRecord>?] {
    if (control === 'pause') return ['paused'];
    if (control === 'cancel') return ['canceled', { finishedAt: new Date() }];
    return ['running'];
  }

  /**
   * `changed`: this request moved the status. A resume that ended the pause makes every held
   * message due, a claim taken while paused included (see makeAllDue); asked again (already
   * running, its dispatchers at work), only those without a due time, leaving live claims be.
   */
  private async applyToMessages(
    control: Control,
    campaign: CampaignRecord,
    changed: boolean,
  ): Promise<void> {
    if (control === 'pause') await this.messages.holdAll(campaign._id);
    else if (control === 'resume') {
      const dueAt = new Date(Math.max(Date.now(), campaign.sendAt.getTime()));
      if (changed) await this.messages.makeAllDue(campaign._id, dueAt);
      else await this.messages.makeDue(campaign._id, dueAt);
    } else
      await this.messages.changeHeld(campaign._id, {
        status: 'canceled',
        source: 'api',
        detail: 'Its campaign was canceled before it was sent',
      });
  }
}

function notNow(control: Control, campaign: CampaignRecord): ConflictException {
  if (campaign.status === 'creating')
    return new ConflictException({
      message: `The campaign is still being created; ${control} it once POST /campaigns has answered`,
      code: 'CAMPAIGN_BEING_CREATED',
    });
  return new ConflictException({
    message: `The campaign is ${campaign.status}: it cannot be ${control === 'pause' ? 'paused' : control === 'resume' ? 'resumed' : 'canceled'} any more`,
    code: 'CAMPAIGN_FINISHED',
  });
}
