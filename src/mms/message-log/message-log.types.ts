import { Types } from 'mongoose';
import { MessageStatus } from './message-status';
import { MessageLog } from './message-log.schema';
import { InboundKeyword } from './callback-event.schema';

/** The shapes the message log's repository reads and writes. */

/** An inbound message as Plivo's webhook described it. */
export interface NewInboundMessage {
  messageUuid: string;
  /** The client that owns it (INBOUND_CLIENTS, else the pool holding the number), if any. */
  clientId?: string;
  /** STOP, START or HELP, and what it did (keywords act before the message is stored). */
  keyword?: InboundKeyword;
  /** The owner's INBOUND_CALLBACK_URLS entry: its `message.received` event goes there. */
  callbackUrl?: string;
  from: string;
  to: string;
  type: 'mms' | 'sms';
  text?: string;
  mediaUrls: string[];
  mediaCount?: number;
  errorCode?: string;
}

export interface NewOutboundMessage {
  /** Set when the id was chosen before the log existed (an Idempotency-Key reservation). */
  _id?: Types.ObjectId;
  clientId: string;
  channel: 'mms' | 'sms';
  fallbackReason?: string;
  /** Why the gateway sent it on its own (a reply to STOP/START/HELP). */
  reason?: string;
  sender: string;
  /** How the sender was chosen: requested, sticky, area-code, soonest, only. */
  senderChoice?: string;
  recipient: string;
  text: string;
  mediaUrls: string[];
  mediaIds: string[];
  /** Where its status changes are pushed (signed), if anywhere. */
  statusCallbackUrl?: string;
  /** Whether Plivo's refusal of the MMS may turn it into an SMS with links (kept for dispatch). */
  fallbackToSms?: boolean;
  /** Not handed to Plivo after this: expired. */
  validUntil?: Date;
}

/** A message the gateway holds until `sendAt` (the client's time, or its pacing slot). */
export interface Schedule {
  sendAt: Date;
  /** A pacing slot already reserved for it (an immediate send that had to wait for one). */
  slotAt?: Date;
}

/** Whose messages a read may see: one client's, or (admin) everyone's. */
export type Readers = { clientId: string } | 'all';

export interface ListMessagesFilter {
  readers: Readers;
  status?: MessageStatus;
  direction?: 'outbound' | 'inbound';
  recipient?: string;
  limit: number;
  /** The _id of the last message of the previous page. */
  cursor?: Types.ObjectId;
}

export type StatusChangeResult = 'applied' | 'recorded' | 'duplicate' | 'not-found';

export type MessageLogRecord = MessageLog & { _id: Types.ObjectId };

/** Which message a change is for: our id, or (for callbacks without our ref) Plivo's UUID. */
export type MessageMatch = { _id: Types.ObjectId } | { plivoMessageUuid: string };

/** A match with the conditions a change holds under (the dispatch queue's: still scheduled, ours). */
export type ConditionalMatch = MessageMatch & {
  status?: MessageStatus;
  clientId?: string;
  dispatchLease?: string;
};
