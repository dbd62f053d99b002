import { Injectable, NotFoundException } from '@nestjs/common';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { MessageDto } from '../../dto/message.dto';
import { parseMessageId, toMessageDto } from '../../message-view';

/** One message with its status history, or 404. */
@Injectable()
export class GetMessageUseCase {
  constructor(private readonly logs: MessageLogRepository) {}

  async execute(rawId: string): Promise<MessageDto> {
    const log = await this.logs.findById(parseMessageId(rawId));
    if (!log)
      throw new NotFoundException({
        message: `No message with id ${rawId}`,
        code: 'MESSAGE_NOT_FOUND',
      });
    return toMessageDto(log);
  }
}
