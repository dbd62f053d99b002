import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Client } from '../../../../auth/client';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { MessageDto } from '../../../messages/dto/message.dto';
import { parseMessageId, readersFor, toMessageDto } from '../../../messages/message-view';
import { DispatchQueueRepository } from '../../dispatch-queue.repository';

/**
 * Takes back a message the gateway still holds: `canceled`, never sent. One conditional write
 * (still `scheduled`): a dispatcher's hand-over is the same kind of write, so of the two racing
 * only one happens. Canceling a canceled message again answers it again (idempotent); one on its
 * way to Plivo or further is 409; another client's is 404, like a missing one.
 */
@Injectable()
export class CancelMessageUseCase {
  constructor(
    private readonly queue: DispatchQueueRepository,
    private readonly logs: MessageLogRepository,
  ) {}

  async execute(rawId: string, client: Client): Promise<MessageDto> {
    const id = parseMessageId(rawId);
    const readers = readersFor(client);
    await this.queue.cancel(id, readers);
    const log = await this.logs.findById(id, readers);
    if (!log)
      throw new NotFoundException({
        message: `No message with id ${rawId}`,
        code: 'MESSAGE_NOT_FOUND',
      });
    if (log.status !== 'canceled')
      throw new ConflictException({
        message: `The message is ${log.status}: only a scheduled message can be canceled (it is being handed to Plivo, or was)`,
        code: 'MESSAGE_NOT_CANCELABLE',
        status: log.status,
      });
    return toMessageDto(log);
  }
}
