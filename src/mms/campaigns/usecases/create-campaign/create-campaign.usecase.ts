import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { Client } from '../../../../auth/client';
import { MetricsService } from '../../../../metrics/metrics.service';
import {
  CampaignMessagesRepository,
  NewCampaignMessage,
} from '../../../message-log/campaign-messages.repository';
import { CampaignRecord, CampaignsRepository } from '../../campaigns.repository';
import { CampaignCreatedDto } from '../../dto/campaign-views.dto';
import { CreateCampaignDto } from '../../dto/create-campaign.dto';
import { CampaignPlan, CampaignPlanner } from './campaign-plan';

/**
 * POST /campaigns: plan (checks, recipients, opt-outs; nothing written), then, unless a dry
 * run, write in an order a crash can resume from with the same Idempotency-Key (whose reserved
 * id is the campaign's): the campaign `creating`; its messages `scheduled` but not due, in bulk
 * (a recipient already there, from the crashed attempt, is skipped by the unique index); ONE
 * update making them all due at the start; the campaign `scheduled` (or `running`, due now).
 */
@Injectable()
export class CreateCampaignUseCase {
  constructor(
    private readonly planner: CampaignPlanner,
    private readonly campaigns: CampaignsRepository,
    private readonly messages: CampaignMessagesRepository,
    private readonly metrics: MetricsService,
  ) {}

  async execute(
    dto: CreateCampaignDto,
    client: Client,
    reservedId?: Types.ObjectId,
  ): Promise<CampaignCreatedDto> {
    const plan = await this.planner.plan(dto, client.id);
    const start = plan.window.sendAt;
    const status = start ? 'scheduled' : 'running';
    if (dto.dryRun) return answer(null, status, plan);

    const id = reservedId ?? new Types.ObjectId();
    const inserted = await this.campaigns.insertCreating({
      _id: id,
      clientId: client.id,
      name: dto.name,
      messageText: dto.messageText,
      mediaUrls: plan.mediaUrls,
      mediaIds: plan.mediaIds,
      ...(dto.senderNumber ? { senderNumber: dto.senderNumber } : {}),
      sendAt: start ?? new Date(),
      validUntil: plan.window.validUntil,
      ...(dto.deliveryWindow ? { deliveryWindow: { ...dto.deliveryWindow } } : {}),
      ...(dto.maxPerSecond ? { maxPerSecond: dto.maxPerSecond } : {}),
      ...(plan.statusCallbackUrl ? { statusCallbackUrl: plan.statusCallbackUrl } : {}),
      counts: plan.counts,
      fallbackToSms: plan.fallbackAllowed,
    });
    if (inserted === 'created') this.metrics.campaignTransitions.inc({ status: 'creating' });
    if (inserted === 'exists') {
      // The retried request's campaign got past creation: it is answered as it stands.
      const existing = await this.campaigns.findById(id);
      if (existing && existing.status !== 'creating') return answerFrom(existing, plan);
    }
    const dueAt = start ?? new Date();
    const written = await this.messages.insertHeld(
      id,
      plan.messages.map((m) => this.messageOf(m, dto, plan, client)),
    );
    this.metrics.campaignMessages.inc({ outcome: 'created', client: client.id }, written);
    await this.messages.makeDue(id, dueAt);
    const done = await this.campaigns.finishCreating(id, status, plan.counts);
    if (done.moved) this.countCreated(status, plan, client);
    return done.campaign ? answerFrom(done.campaign, plan) : answer(id, status, plan);
  }

  /** Once per campaign (the attempt that finished it): its status, its dropped recipients. */
  private countCreated(status: string, plan: CampaignPlan, client: Client): void {
    this.metrics.campaignTransitions.inc({ status });
    const dropped = {
      'opted-out': plan.counts.optedOut,
      duplicate: plan.counts.duplicates,
      invalid: plan.counts.invalid,
    };
    for (const [outcome, n] of Object.entries(dropped))
      if (n > 0) this.metrics.campaignMessages.inc({ outcome, client: client.id }, n);
  }

  private messageOf(
    m: CampaignPlan['messages'][number],
    dto: CreateCampaignDto,
    plan: CampaignPlan,
    client: Client,
  ): NewCampaignMessage {
    const sms = m.channel === 'sms';
    return {
      clientId: client.id,
      channel: m.channel,
      ...(sms ? { fallbackReason: 'Plivo delivers MMS only to US and Canadian numbers' } : {}),
      sender: m.sender,
      recipient: m.recipient,
      text: sms ? plan.smsText! : dto.messageText,
      mediaUrls: sms ? [] : plan.mediaUrls,
      mediaIds: sms ? [] : plan.mediaIds,
      statusCallbackUrl: plan.statusCallbackUrl,
      fallbackToSms: plan.fallbackAllowed,
      validUntil: plan.window.validUntil,
      sendAt: plan.window.sendAt ?? new Date(),
    };
  }
}

function answer(id: Types.ObjectId | null, status: string, plan: CampaignPlan): CampaignCreatedDto {
  return {
    campaignId: id ? id.toHexString() : null,
    status,
    counts: plan.counts,
    ...(plan.errors.length > 0 ? { errors: plan.errors } : {}),
  };
}

function answerFrom(campaign: CampaignRecord, plan: CampaignPlan): CampaignCreatedDto {
  return { ...answer(campaign._id, campaign.status, plan), counts: campaign.counts };
}
