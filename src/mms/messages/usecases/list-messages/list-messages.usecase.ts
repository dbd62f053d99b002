import { Injectable } from '@nestjs/common';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { Client } from '../../../../auth/client';
import { DEFAULT_PAGE_SIZE } from '../../../../shared/page-limit';
import { ListMessagesQueryDto, MessageListDto } from '../../dto/message.dto';
import { decodeCursor, encodeCursor } from '../../cursor';
import { readersFor, toMessageDto } from '../../message-view';

/** A page of messages, newest first; `nextCursor` is null on the last page. */
@Injectable()
export class ListMessagesUseCase {
  constructor(private readonly logs: MessageLogRepository) {}

  /** Only the caller's messages (every client's for an admin key). */
  async execute(query: ListMessagesQueryDto, client: Client): Promise<MessageListDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // One more than the page: its presence says whether there is a next page.
    const logs = await this.logs.list({
      readers: readersFor(client),
      status: query.status,
      direction: query.direction,
      recipient: query.recipient,
      cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = logs.slice(0, limit);
    return {
      items: page.map(toMessageDto),
      nextCursor: logs.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }
}
