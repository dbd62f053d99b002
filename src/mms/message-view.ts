import { BadRequestException } from '@nestjs/common';
import { Types } from 'mongoose';
import { MessageDto } from './dto/message.dto';
import { MessageLogRecord } from './message-log.repository';

export function toMessageDto(log: MessageLogRecord): MessageDto {
  return {
    id: log._id.toHexString(),
    direction: log.direction,
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

/** Opaque cursor: the (createdAt, _id) of the last item of a page. */
export function encodeCursor(log: MessageLogRecord): string {
  return Buffer.from(`${log.createdAt.getTime()}.${log._id.toHexString()}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: Types.ObjectId } {
  const match = /^(\d{1,15})\.([0-9a-f]{24})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match)
    throw new BadRequestException({
      message: 'cursor is not a cursor returned by this API',
      code: 'INVALID_CURSOR',
    });
  return { createdAt: new Date(Number(match[1])), id: new Types.ObjectId(match[2]) };
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
