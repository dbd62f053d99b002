import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { ListMessagesQueryDto, MessageDto, MessageListDto } from './dto/message.dto';
import { MESSAGE_ID_PATTERN } from './message-view';
import { ErrorResponseDto } from '../../shared/error-response.dto';
import { GetMessageUseCase } from './usecases/get-message/get-message.usecase';
import { ListMessagesUseCase } from './usecases/list-messages/list-messages.usecase';

@ApiTags('messages')
@ApiKeyAuth()
@ApiResponse({ status: 401, description: 'Missing or invalid API key.', type: ErrorResponseDto })
@ApiResponse({
  status: 429,
  description: 'Rate limit reached; see Retry-After.',
  type: ErrorResponseDto,
})
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
  @ApiResponse({
    status: 400,
    description: 'Invalid filter, limit or cursor.',
    type: ErrorResponseDto,
  })
  list(@Query() query: ListMessagesQueryDto): Promise<MessageListDto> {
    return this.listMessages.execute(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message with its status history' })
  @ApiParam({
    name: 'id',
    example: '665f1c2e9d3b4a0012345678',
    description: 'The messageId returned by POST /send-mms.',
    schema: { type: 'string', pattern: MESSAGE_ID_PATTERN.source },
  })
  @ApiResponse({ status: 200, type: MessageDto })
  @ApiResponse({ status: 400, description: 'Malformed id.', type: ErrorResponseDto })
  @ApiResponse({ status: 404, description: 'No such message.', type: ErrorResponseDto })
  findOne(@Param('id') id: string): Promise<MessageDto> {
    return this.getMessage.execute(id);
  }
}
