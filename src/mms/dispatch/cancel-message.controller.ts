import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { Client, CurrentClient } from '../../auth/client';
import {
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../../shared/error-response.dto';
import { MessageDto } from '../messages/dto/message.dto';
import { MESSAGE_ID_PATTERN } from '../messages/message-view';
import { CancelMessageUseCase } from './usecases/cancel-message/cancel-message.usecase';

@ApiTags('messages')
@ApiKeyAuth()
@SkipThrottle({ webhook: true })
@Controller('messages')
export class CancelMessageController {
  constructor(private readonly cancelMessage: CancelMessageUseCase) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Take back a message the gateway still holds (scheduled)',
    description:
      'The message becomes `canceled` and is never sent; canceling it again answers the same. Once it is being handed to Plivo (pending) or later: 409. A canceled message gets its status callback event.',
  })
  @ApiParam({
    name: 'id',
    example: '665f1c2e9d3b4a0012345678',
    description: 'The messageId returned by POST /send-mms.',
    schema: { type: 'string', pattern: MESSAGE_ID_PATTERN.source },
  })
  @ApiResponse({ status: 200, type: MessageDto, description: 'Canceled (now or before).' })
  @ApiErrorResponse(
    400,
    'The id is not a 24-character hex message id, or the path is not valid percent-encoding.',
    ['INVALID_MESSAGE_ID', 'BAD_REQUEST'],
  )
  @ApiErrorResponse(401, 'Missing or invalid API key.', ['MISSING_API_KEY', 'INVALID_API_KEY'])
  @ApiErrorResponse(404, "No such message, or another client's (the same answer).", [
    'MESSAGE_NOT_FOUND',
  ])
  @ApiErrorResponse(409, 'The message is no longer held: being handed to Plivo, or further.', [
    'MESSAGE_NOT_CANCELABLE',
  ])
  @ApiErrorResponse(
    429,
    'Rate limit reached; see Retry-After.',
    ['RATE_LIMITED'],
    RATE_LIMIT_HEADERS,
  )
  @ApiErrorResponse(500, 'An unexpected error.', ['INTERNAL_ERROR'])
  @ApiErrorResponse(
    503,
    'The message store is unreachable; retry after Retry-After.',
    ['DATABASE_UNAVAILABLE'],
    RETRY_AFTER_HEADER,
  )
  cancel(@Param('id') id: string, @CurrentClient() client: Client): Promise<MessageDto> {
    return this.cancelMessage.execute(id, client);
  }
}
