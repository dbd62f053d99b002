import { Body, Controller, Get, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Types } from 'mongoose';
import { ClientRoutes } from '../../auth/client-routes.decorator';
import { Client, CurrentClient } from '../../auth/client';
import { ACCEPT_POST_HEADER, ApiErrorResponse } from '../../shared/error-response.dto';
import { MessageListDto } from '../messages/dto/message.dto';
import {
  IDEMPOTENCY_KEY_PATTERN,
  MAX_KEY_LENGTH,
} from '../send/idempotency/idempotency.interceptor';
import { ReservedMessageId } from '../send/idempotency/reserved-message-id';
import { CampaignIdempotencyInterceptor } from './campaign-idempotency.interceptor';
import {
  CampaignCreatedDto,
  CampaignDto,
  CampaignListDto,
  CampaignMessagesQueryDto,
  PageQueryDto,
} from './dto/campaign-views.dto';
import { CreateCampaignDto, MAX_RECIPIENTS } from './dto/create-campaign.dto';
import { CampaignProgressUseCase } from './usecases/campaign-progress/campaign-progress.usecase';
import { CreateCampaignUseCase } from './usecases/create-campaign/create-campaign.usecase';

export const CAMPAIGN_ID_PARAM = {
  name: 'id',
  example: '665f1c2e9d3b4a0012345678',
  description: 'The campaignId POST /campaigns returned.',
  schema: { type: 'string', pattern: '^[0-9a-f]{24}$' },
} as const;

@ApiTags('campaigns')
@ClientRoutes()
@Controller('campaigns')
export class CampaignsController {
  constructor(
    private readonly create: CreateCampaignUseCase,
    private readonly progress: CampaignProgressUseCase,
  ) {}

  @Post()
  @UseInterceptors(CampaignIdempotencyInterceptor)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', maxLength: MAX_KEY_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN.source },
    description:
      'As on POST /send-mms. A retry after a crash during creation completes the same campaign: one message per recipient.',
  })
  @ApiOperation({
    summary: 'Send one message to many recipients',
    description: `1 to ${MAX_RECIPIENTS} recipients, normalised to E.164 (duplicates dropped, opted-out recipients suppressed, invalid ones reported by position); each becomes an ordinary message (GET /messages/{id}, status callbacks, cancel) sent by the dispatch queue. Body limit: CAMPAIGN_BODY_LIMIT (1 MB by default).`,
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({ type: CreateCampaignDto })
  @ApiResponse({ status: 201, type: CampaignCreatedDto })
  @ApiErrorResponse(
    400,
    'Nothing was created: invalid input (each bad field named in `errors`; with strict, each invalid recipient), a media or callback URL the policy refuses, a bad Idempotency-Key.',
    [
      'VALIDATION_FAILED',
      'MALFORMED_JSON',
      'MALFORMED_BODY',
      'MEDIA_URL_BLOCKED',
      'CALLBACK_URL_BLOCKED',
      'STATUS_CALLBACKS_DISABLED',
      'INVALID_IDEMPOTENCY_KEY',
      'IDEMPOTENCY_KEY_REQUIRED',
    ],
  )
  @ApiErrorResponse(403, "senderNumber is not one of the caller's numbers.", ['SENDER_NOT_ALLOWED'])
  @ApiErrorResponse(409, 'A request with this Idempotency-Key is still in flight.', [
    'IDEMPOTENCY_IN_FLIGHT',
  ])
  @ApiErrorResponse(
    413,
    'The body is larger than CAMPAIGN_BODY_LIMIT (1 MB by default), or a form has too many fields.',
    ['PAYLOAD_TOO_LARGE'],
  )
  @ApiErrorResponse(
    415,
    'The body is neither application/json nor application/x-www-form-urlencoded, or its charset or Content-Encoding is not supported.',
    ['UNSUPPORTED_MEDIA_TYPE'],
    ACCEPT_POST_HEADER,
  )
  @ApiErrorResponse(
    422,
    'This Idempotency-Key came with another body, or media cannot be delivered.',
    ['IDEMPOTENCY_KEY_REUSED', 'MEDIA_NOT_DELIVERABLE'],
  )
  createCampaign(
    @Body() dto: CreateCampaignDto,
    @CurrentClient() client: Client,
    @ReservedMessageId() reservedId?: Types.ObjectId,
  ): Promise<CampaignCreatedDto> {
    return this.create.execute(dto, client, reservedId);
  }

  @Get()
  @ApiOperation({ summary: "The caller's campaigns, newest first (admin keys: every client's)" })
  @ApiResponse({ status: 200, type: CampaignListDto })
  @ApiErrorResponse(400, 'Invalid limit, or a cursor this API did not return.', [
    'VALIDATION_FAILED',
    'INVALID_CURSOR',
  ])
  list(@Query() query: PageQueryDto, @CurrentClient() client: Client): Promise<CampaignListDto> {
    return this.progress.list(query, client);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A campaign with its progress: messages per status, estimated finish' })
  @ApiParam(CAMPAIGN_ID_PARAM)
  @ApiResponse({ status: 200, type: CampaignDto })
  @ApiErrorResponse(404, "No such campaign, or another client's (the same answer).", [
    'CAMPAIGN_NOT_FOUND',
  ])
  findOne(@Param('id') id: string, @CurrentClient() client: Client): Promise<CampaignDto> {
    return this.progress.get(id, client);
  }

  @Get(':id/messages')
  @ApiOperation({
    summary: "The campaign's messages (per-recipient results), in the request's order",
  })
  @ApiParam(CAMPAIGN_ID_PARAM)
  @ApiResponse({ status: 200, type: MessageListDto })
  @ApiErrorResponse(400, 'Invalid status or limit, or a cursor this API did not return.', [
    'VALIDATION_FAILED',
    'INVALID_CURSOR',
  ])
  @ApiErrorResponse(404, "No such campaign, or another client's.", ['CAMPAIGN_NOT_FOUND'])
  messages(
    @Param('id') id: string,
    @Query() query: CampaignMessagesQueryDto,
    @CurrentClient() client: Client,
  ): Promise<MessageListDto> {
    return this.progress.listMessages(id, query, client);
  }
}
