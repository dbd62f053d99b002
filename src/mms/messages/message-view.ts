import { BadRequestException } from '@nestjs/common';
import { Types } from 'mongoose';
import { MessageDto } from './dto/message.dto';
import { Client } from '../../auth/client';
import { MessageLogRecord, Readers } from '../message-log/message-log.repository';

/** Whose messages a client may read: its own, or everyone's with an admin key. */
export function readersFor(client: Client): Readers {
  return client.admin ? 'all' : { clientId: client.id };
}

export function toMessageDto(log: MessageLogRecord): MessageDto {
  return {
    id: log._id.toHexString(),
    direction: log.direction,
    clientId: log.clientId,
    channel: log.channel,
    sender: log.sender,
    recipient: log.recipient,
    text: log.text,
    mediaUrls: log.mediaUrls ?? [],
    mediaIds: log.mediaIds ?? [],
    status: log.status,
    plivoMessageUuid: log.plivoMessageUuid,
    errorCode: log.errorCode,
    errorMessage: log.errorMessage,
    attempts: log.attempts ?? 0,
    statusHistory: (log.statusHistory ?? []).map(
      ({ status, at, source, applied, errorCode, detail }) => ({
        status,
        at,
        source,
        applied: applied !== false,
        ...(errorCode ? { errorCode } : {}),
        ...(detail ? { detail } : {}),
      }),
    ),
    delivery: log.delivery,
    createdAt: log.createdAt,
    updatedAt: log.updatedAt,
  };
}

/** Opaque cursor: the _id of the last item of a page (pages are ordered by _id, newest first). */
export function encodeCursor(log: MessageLogRecord): string {
  return Buffer.from(log._id.toHexString()).toString('base64url');
}

/** Also accepts the earlier `<createdAt ms>.<id>` cursors, so a page walk survives an upgrade. */
export function decodeCursor(cursor: string): Types.ObjectId {
  const match = /^(?:\d{1,15}\.)?([0-9a-f]{24})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match)
    throw new BadRequestException({
      message: 'cursor is not a cursor returned by this API',
      code: 'INVALID_CURSOR',
    });
  return new Types.ObjectId(match[1]);
}

export function parseMessageId(id: string): Types.ObjectId {
  if (!/^[0-9a-f]{24}$/i.test(id)) {
    throw new BadRequestException({
      message: 'id must be a 24-character hex message id',
      code: 'INVALID_MESSAGE_ID',
    });
  }
  return new Types.ObjectId(id);
}
