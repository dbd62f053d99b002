import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { ListMessagesQueryDto, MessageDto, MessageListDto } from './dto/message.dto';
import {
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../../shared/error-response.dto';
import { GetMessageUseCase } from './usecases/get-message/get-message.usecase';
import { ListMessagesUseCase } from './usecases/list-messages/list-messages.usecase';

@ApiTags('messages')
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
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly listMessages: ListMessagesUseCase,
    private readonly getMessage: GetMessageUseCase,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List logged messages, newest first, with cursor pagination' })
  @ApiResponse({ status: 200, type: MessageListDto })
  @ApiErrorResponse(400, 'Invalid filter or limit, or a cursor this API did not return.', [
    'VALIDATION_FAILED',
    'INVALID_CURSOR',
  ])
  list(@Query() query: ListMessagesQueryDto): Promise<MessageListDto> {
    return this.listMessages.execute(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message with its status history' })
  @ApiParam({
    name: 'id',
    example: '665f1c2e9d3b4a0012345678',
    description: 'The messageId returned by POST /send-mms.',
  })
  @ApiResponse({ status: 200, type: MessageDto })
  @ApiErrorResponse(
    400,
    'The id is not a 24-character hex message id, or the path is not valid percent-encoding.',
    ['INVALID_MESSAGE_ID', 'BAD_REQUEST'],
  )
  @ApiErrorResponse(404, 'No such message.', ['MESSAGE_NOT_FOUND'])
  findOne(@Param('id') id: string): Promise<MessageDto> {
    return this.getMessage.execute(id);
  }
}
