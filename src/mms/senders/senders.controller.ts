import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { Client, CurrentClient } from '../../auth/client';
import {
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../../shared/error-response.dto';
import { SenderListDto } from './dto/sender.dto';
import { ListSendersUseCase } from './usecases/list-senders/list-senders.usecase';

@ApiTags('senders')
@ApiKeyAuth()
@ApiErrorResponse(401, 'Missing or invalid API key.', ['MISSING_API_KEY', 'INVALID_API_KEY'])
@ApiErrorResponse(429, 'Rate limit reached; see Retry-After.', ['RATE_LIMITED'], RATE_LIMIT_HEADERS)
@ApiErrorResponse(500, 'An unexpected error.', ['INTERNAL_ERROR'])
@ApiErrorResponse(
  503,
  'The message store is unreachable; retry after Retry-After.',
  ['DATABASE_UNAVAILABLE'],
  RETRY_AFTER_HEADER,
)
@SkipThrottle({ webhook: true })
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
