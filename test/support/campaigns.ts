import { Connection, Types } from 'mongoose';
import { Campaign, CampaignStatus, DeliveryWindow } from '../../src/mms/campaigns/campaign.schema';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { STATUS_RANK } from '../../src/mms/message-log/message-status';
import { callbackHostOf } from '../../src/mms/message-log/callback-outbox';
import { TEST_SENDER } from './test-app';

export interface SeedCampaign {
  recipients: string[];
  clientId?: string;
  status?: CampaignStatus;
  deliveryWindow?: DeliveryWindow;
  maxPerSecond?: number;
  /** The campaign's (its completion event); its messages' too with `messageCallbacks`. */
  statusCallbackUrl?: string;
  messageCallbacks?: boolean;
  /** When its messages are due (default now); undefined `due: false`: not due (being created). */
  sendAt?: Date;
  due?: boolean;
  validUntil?: Date;
  createdAt?: Date;
}

/**
 * A campaign and its messages written straight to the database the way creation writes them
 * (POST /campaigns, issue #22): the campaign document, then one `scheduled` message per
 * recipient with `campaignId`, due (`dispatchDueAt`) at the campaign's start unless `due: false`.
 * What the dispatcher and the campaign monitor do with them is then the real thing.
 */
export async function seedCampaign(db: Connection, seed: SeedCampaign) {
  const id = new Types.ObjectId();
  const now = new Date();
  const sendAt = seed.sendAt ?? now;
  const validUntil = seed.validUntil ?? new Date(sendAt.getTime() + 3600_000);
  const createdAt = seed.createdAt ?? now;
  const clientId = seed.clientId ?? 'campaigner';
  await db.model<Campaign>(Campaign.name).collection.insertOne({
    _id: id,
    clientId,
    name: 'Spring sale',
    status: seed.status ?? 'running',
    messageText: 'Spring sale: 20% off',
    mediaUrls: ['https://media.example.com/sale.gif'],
    mediaIds: [],
    sendAt,
    validUntil,
    ...(seed.deliveryWindow ? { deliveryWindow: seed.deliveryWindow } : {}),
    ...(seed.maxPerSecond ? { maxPerSecond: seed.maxPerSecond } : {}),
    ...(seed.statusCallbackUrl ? { statusCallbackUrl: seed.statusCallbackUrl } : {}),
    counts: {
      total: seed.recipients.length,
      duplicates: 0,
      optedOut: 0,
      invalid: 0,
      scheduled: seed.recipients.length,
    },
    monitorDueAt: now,
    createdAt,
    updatedAt: createdAt,
  });
  const messages = seed.recipients.map((recipient) => ({
    _id: new Types.ObjectId(),
    campaignId: id,
    direction: 'outbound',
    clientId,
    channel: 'mms',
    sender: TEST_SENDER,
    recipient,
    text: 'Spring sale: 20% off',
    mediaUrls: ['https://media.example.com/sale.gif'],
    mediaIds: [],
    status: 'scheduled',
    statusRank: STATUS_RANK.scheduled,
    attempts: 0,
    attemptLog: [],
    statusHistory: [{ status: 'scheduled', at: createdAt, source: 'api', applied: true }],
    eventKeys: [],
    sendAt,
    validUntil,
    ...(seed.due === false ? {} : { dispatchDueAt: sendAt }),
    ...(seed.statusCallbackUrl && seed.messageCallbacks
      ? {
          statusCallbackUrl: seed.statusCallbackUrl,
          callbackHost: callbackHostOf(seed.statusCallbackUrl),
        }
      : {}),
    createdAt,
    updatedAt: createdAt,
  }));
  await db.model<MessageLog>(MessageLog.name).collection.insertMany(messages);
  return { id, messageIds: messages.map((m) => m._id) };
}

/** Distinct recipients in the simulator's US test range: +1415765xxxx. */
export const recipients = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `+1415765${String(4000 + from + i).padStart(4, '0')}`);
