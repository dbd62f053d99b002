import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../../app.setup';
import { ListMessagesQueryDto, MessageDto, MessageListDto } from './dto/message.dto';
import { ErrorResponseDto } from '../send/dto/send-mms-response.dto';
import { MmsService } from '../send/usecases/send-mms/send-mms.usecase';

@ApiTags('messages')
@ApiSecurity(API_KEY_SCHEME)
@ApiSecurity(BEARER_SCHEME)
@ApiResponse({ status: 401, description: 'Missing or invalid API key.', type: ErrorResponseDto })
@ApiResponse({
  status: 429,
  description: 'Rate limit reached; see Retry-After.',
  type: ErrorResponseDto,
})
@SkipThrottle({ webhook: true })
@Controller('messages')
export class MessagesController {
  constructor(private readonly mms: MmsService) {}

  @Get()
  @ApiOperation({ summary: 'List logged messages, newest first, with cursor pagination' })
  @ApiResponse({ status: 200, type: MessageListDto })
  @ApiResponse({
    status: 400,
    description: 'Invalid filter, limit or cursor.',
    type: ErrorResponseDto,
  })
  list(@Query() query: ListMessagesQueryDto): Promise<MessageListDto> {
    return this.mms.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message with its status history' })
  @ApiParam({
    name: 'id',
    example: '665f1c2e9d3b4a0012345678',
    description: 'The messageId returned by POST /send-mms.',
  })
  @ApiResponse({ status: 200, type: MessageDto })
  @ApiResponse({ status: 400, description: 'Malformed id.', type: ErrorResponseDto })
  @ApiResponse({ status: 404, description: 'No such message.', type: ErrorResponseDto })
  findOne(@Param('id') id: string): Promise<MessageDto> {
    return this.mms.findOne(id);
  }
}
