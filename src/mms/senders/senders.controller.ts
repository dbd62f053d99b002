import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ClientRoutes } from '../../auth/client-routes.decorator';
import { Client, CurrentClient } from '../../auth/client';
import { SenderListDto } from './dto/sender.dto';
import { ListSendersUseCase } from './usecases/list-senders/list-senders.usecase';

@ApiTags('senders')
@ClientRoutes()
@Controller('senders')
export class SendersController {
  constructor(private readonly listSenders: ListSendersUseCase) {}

  @Get()
  @ApiOperation({
    summary: 'The sender numbers, their rates and their backlog',
    description:
      "The caller's pool (SENDER_NUMBERS, else PLIVO_SENDER_NUMBER); admin keys (ADMIN_API_KEYS) see every pool. Each number with its client, its per-number caps and the messages the gateway holds for it.",
  })
  @ApiResponse({ status: 200, type: SenderListDto })
  list(@CurrentClient() client: Client): Promise<SenderListDto> {
    return this.listSenders.execute(client);
  }
}
