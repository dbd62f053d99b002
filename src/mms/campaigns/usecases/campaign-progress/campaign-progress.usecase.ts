import { Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { Client } from '../../../../auth/client';
import { AllConfig } from '../../../../config/config.type';
import { poolOfClient } from '../../../../config/senders.config';
import { DEFAULT_PAGE_SIZE } from '../../../../shared/page-limit';
import { CampaignMessagesRepository } from '../../../message-log/campaign-messages.repository';
import { MessageStatus } from '../../../message-log/message-status';
import { decodeCursor, encodeCursor } from '../../../messages/cursor';
import { MessageListDto } from '../../../messages/dto/message.dto';
import { readersFor, toMessageDto } from '../../../messages/message-view';
import { CampaignRecord, CampaignsRepository } from '../../campaigns.repository';
import {
  CampaignDto,
  CampaignListDto,
  CampaignMessagesQueryDto,
  PageQueryDto,
} from '../../dto/campaign-views.dto';

/** 404 for a campaign that is not there, or is another client's (the same answer). */
export function campaignNotFound(id: string): NotFoundException {
  return new NotFoundException({ message: `No campaign ${id}`, code: 'CAMPAIGN_NOT_FOUND' });
}

/** A campaign id from the path: 24 hex characters, else the same 404 as a missing one. */
export function campaignIdOf(id: string): Types.ObjectId {
  if (!/^[0-9a-f]{24}$/.test(id)) throw campaignNotFound(id);
  return new Types.ObjectId(id);
}

/** GET /campaigns, GET /campaigns/{id} (with progress) and GET /campaigns/{id}/messages. */
@Injectable()
export class CampaignProgressUseCase {
  constructor(
    private readonly campaigns: CampaignsRepository,
    private readonly messages: CampaignMessagesRepository,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  async get(id: string, client: Client): Promise<CampaignDto> {
    const campaign = await this.find(id, client);
    const counts = await this.messages.countByStatus(campaign._id);
    const remaining = (counts.scheduled ?? 0) + (counts.pending ?? 0);
    const rate = this.rateOf(campaign);
    const running = campaign.status === 'running' || campaign.status === 'scheduled';
    const from = Math.max(Date.now(), campaign.sendAt.getTime());
    return {
      ...toCampaignDto(campaign),
      messages: counts,
      ...(running && rate && remaining > 0
        ? { estimatedFinishAt: new Date(from + (remaining / rate) * 1000) }
        : {}),
    };
  }

  async list(query: PageQueryDto, client: Client): Promise<CampaignListDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const found = await this.campaigns.list(readersFor(client), limit + 1, before);
    const page = found.slice(0, limit);
    return {
      items: page.map(toCampaignDto),
      nextCursor: found.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** The campaign's messages in the request's order (GET /messages' view of each). */
  async listMessages(
    id: string,
    query: CampaignMessagesQueryDto,
    client: Client,
  ): Promise<MessageListDto> {
    const campaign = await this.find(id, client);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const found = await this.messages.list({
      campaignId: campaign._id,
      status: query.status as MessageStatus | undefined,
      after: query.cursor !== undefined ? decodeCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = found.slice(0, limit);
    return {
      items: page.map(toMessageDto),
      nextCursor: found.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  async find(id: string, client: Client): Promise<CampaignRecord> {
    const campaign = await this.campaigns.findById(campaignIdOf(id), readersFor(client));
    if (!campaign) throw campaignNotFound(id);
    return campaign;
  }

  /** Messages per second it goes at: its own cap, the account's, the pool's (lowest set). */
  private rateOf(campaign: CampaignRecord): number | undefined {
    const dispatch = this.config.get('dispatch', { infer: true });
    const pool = campaign.senderNumber
      ? [campaign.senderNumber]
      : poolOfClient(this.config.get('senders', { infer: true }), campaign.clientId);
    const caps = [
      campaign.maxPerSecond ?? 0,
      dispatch.account.mms,
      dispatch.sender.mms * pool.length,
    ].filter((r) => r > 0);
    return caps.length > 0 ? Math.min(...caps) : undefined;
  }
}

export function toCampaignDto(c: CampaignRecord): Omit<CampaignDto, 'messages'> {
  return {
    id: c._id.toHexString(),
    name: c.name,
    status: c.status,
    counts: {
      total: c.counts.total,
      duplicates: c.counts.duplicates,
      optedOut: c.counts.optedOut,
      invalid: c.counts.invalid,
      scheduled: c.counts.scheduled,
    },
    messageText: c.messageText,
    mediaUrls: c.mediaUrls ?? [],
    mediaIds: c.mediaIds ?? [],
    ...(c.senderNumber ? { senderNumber: c.senderNumber } : {}),
    sendAt: c.sendAt,
    validUntil: c.validUntil,
    ...(c.deliveryWindow
      ? {
          deliveryWindow: {
            start: c.deliveryWindow.start,
            end: c.deliveryWindow.end,
            timeZone: c.deliveryWindow.timeZone,
          },
        }
      : {}),
    ...(c.maxPerSecond ? { maxPerSecond: c.maxPerSecond } : {}),
    ...(c.statusCallbackUrl ? { statusCallbackUrl: c.statusCallbackUrl } : {}),
    ...(c.startedAt ? { startedAt: c.startedAt } : {}),
    ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
    createdAt: c.createdAt,
  };
}
