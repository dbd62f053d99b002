import { Injectable, NotFoundException } from '@nestjs/common';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { Client } from '../../../../auth/client';
import { MessageDto } from '../../dto/message.dto';
import { parseMessageId, readersFor, toMessageDto } from '../../message-view';

/** One message with its status history, or 404. */
@Injectable()
export class GetMessageUseCase {
  constructor(private readonly logs: MessageLogRepository) {}

  /** Another client's message is answered exactly like a missing one. */
  async execute(rawId: string, client: Client): Promise<MessageDto> {
    const log = await this.logs.findById(parseMessageId(rawId), readersFor(client));
    if (!log)
      throw new NotFoundException({
        message: `No message with id ${rawId}`,
        code: 'MESSAGE_NOT_FOUND',
      });
    return toMessageDto(log);
  }
}
