import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ClientRoutes } from '../../auth/client-routes.decorator';
import { Client, CurrentClient } from '../../auth/client';
import { ListMessagesQueryDto, MessageDto, MessageListDto } from './dto/message.dto';
import { ApiErrorResponse } from '../../shared/error-response.dto';
import { MESSAGE_ID_PATTERN } from './message-view';
import { GetMessageUseCase } from './usecases/get-message/get-message.usecase';
import { ListMessagesUseCase } from './usecases/list-messages/list-messages.usecase';

@ApiTags('messages')
@ClientRoutes()
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly listMessages: ListMessagesUseCase,
    private readonly getMessage: GetMessageUseCase,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List logged messages, newest first, with cursor pagination',
    description:
      "Only the caller's messages: those its API key's client sent, and the inbound messages of the numbers it owns (INBOUND_CLIENTS, else its SENDER_NUMBERS pool). Admin keys (ADMIN_API_KEYS) list every client's.",
  })
  @ApiResponse({ status: 200, type: MessageListDto })
  @ApiErrorResponse(400, 'Invalid filter or limit, or a cursor this API did not return.', [
    'VALIDATION_FAILED',
    'INVALID_CURSOR',
  ])
  list(
    @Query() query: ListMessagesQueryDto,
    @CurrentClient() client: Client,
  ): Promise<MessageListDto> {
    return this.listMessages.execute(query, client);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One message with its status history',
    description:
      "Another client's message answers 404 exactly like a missing one; admin keys read any message.",
  })
  @ApiParam({
    name: 'id',
    example: '665f1c2e9d3b4a0012345678',
    description: 'The messageId returned by POST /send-mms.',
    schema: { type: 'string', pattern: MESSAGE_ID_PATTERN.source },
  })
  @ApiResponse({ status: 200, type: MessageDto })
  @ApiErrorResponse(
    400,
    'The id is not a 24-character hex message id, or the path is not valid percent-encoding.',
    ['INVALID_MESSAGE_ID', 'BAD_REQUEST'],
  )
  @ApiErrorResponse(404, "No such message, or another client's (the same answer).", [
    'MESSAGE_NOT_FOUND',
  ])
  findOne(@Param('id') id: string, @CurrentClient() client: Client): Promise<MessageDto> {
    return this.getMessage.execute(id, client);
  }
}
