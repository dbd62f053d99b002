import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  NotFoundException,
  Param,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Types } from 'mongoose';
import { AdminOnly } from '../../auth/admin-only.decorator';
import { ClientRoutes } from '../../auth/client-routes.decorator';
import { Client, CurrentClient } from '../../auth/client';
import { ACCEPT_POST_HEADER, ApiErrorResponse } from '../../shared/error-response.dto';
import {
  ListOptOutsQueryDto,
  ManualOptInDto,
  ManualOptOutDto,
  OPT_OUT_CURSOR_PATTERN,
  OptOutDto,
  OptOutListDto,
  OptOutPairParams,
} from './dto/opt-out.dto';
import { OptOutScope } from '../../config/senders.config';
import { OptOutRecord, OptOutsRepository } from './opt-outs.repository';
import { DEFAULT_PAGE_SIZE } from '../../shared/page-limit';
import { OptOutsService } from './opt-outs.service';

const PAIR = ':sender/:recipient';
const BAD_PAIR = 'sender or recipient is not a valid E.164 number (each named in `errors`).';

/** The opt-out list for operators: admin keys only (it spans every client's recipients). */
@ApiTags('opt-outs')
@ClientRoutes()
@AdminOnly()
@Controller('opt-outs')
export class OptOutsController {
  constructor(
    private readonly repository: OptOutsRepository,
    private readonly optOuts: OptOutsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List opt-out records (opted out or back in), newest first, with their history',
  })
  @ApiResponse({ status: 200, type: OptOutListDto })
  @ApiErrorResponse(400, 'Invalid filter or limit, or a cursor this API did not return.', [
    'VALIDATION_FAILED',
    'INVALID_CURSOR',
  ])
  async list(@Query() query: ListOptOutsQueryDto): Promise<OptOutListDto> {
    if (query.cursor !== undefined && !OPT_OUT_CURSOR_PATTERN.test(query.cursor))
      throw new BadRequestException({
        message: 'cursor must be a nextCursor this API returned',
        code: 'INVALID_CURSOR',
      });
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const records = await this.repository.list({
      recipient: query.number,
      senders: query.sender ? this.optOuts.scopeOf(query.sender) : undefined,
      limit: limit + 1,
      cursor: query.cursor ? new Types.ObjectId(query.cursor) : undefined,
    });
    const page = records.slice(0, limit);
    return {
      items: page.map((record) => this.toDto(record)),
      nextCursor: records.length > limit ? page[page.length - 1]._id.toHexString() : null,
    };
  }

  @Put(PAIR)
  @ApiOperation({
    summary: 'Opt a recipient out of a sender (e.g. a request received by e-mail)',
    description:
      "Writes the pair's own record; under OPT_OUT_SCOPE=pool it stops every number of the sender's pool (`appliesTo`). Idempotent: already opted out changes nothing. Recorded in the history with the reason and the client of the API key.",
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({ type: ManualOptOutDto })
  @ApiResponse({ status: 200, type: OptOutDto })
  @ApiErrorResponse(
    400,
    `${BAD_PAIR} Or no reason (or a blank one), or a body that cannot be read.`,
    ['VALIDATION_FAILED', 'MALFORMED_JSON', 'MALFORMED_BODY'],
  )
  @ApiErrorResponse(413, 'The body is larger than BODY_LIMIT.', ['PAYLOAD_TOO_LARGE'])
  @ApiErrorResponse(
    415,
    'The body is neither application/json nor application/x-www-form-urlencoded.',
    ['UNSUPPORTED_MEDIA_TYPE'],
    ACCEPT_POST_HEADER,
  )
  async optOut(
    @Param() pair: OptOutPairParams,
    @Body() body: ManualOptOutDto,
    @CurrentClient() client: Client,
  ): Promise<OptOutDto> {
    await this.optOuts.optOut(pair.sender, pair.recipient, {
      source: 'api',
      clientId: client.id,
      reason: body.reason,
      at: new Date(),
    });
    return this.toDto((await this.repository.find(pair.sender, pair.recipient))!);
  }

  @Delete(PAIR)
  @ApiOperation({
    summary: 'Opt a recipient back in (remove them from the list)',
    description:
      "Under OPT_OUT_SCOPE=pool, opts them back into every number of the sender's pool they opted out of (each record's history records it). Answers the pair's own record, or, when the pair has none, the pool's most recently changed one. Recorded in the history with the client of the API key (and `reason` when given); already opted in changes nothing.",
  })
  @ApiResponse({ status: 200, type: OptOutDto })
  @ApiErrorResponse(400, `${BAD_PAIR} Or a blank reason, or one over 500 characters.`, [
    'VALIDATION_FAILED',
  ])
  @ApiErrorResponse(
    404,
    'This recipient never opted out of this sender (nor, in pool scope, of any number of its pool).',
    ['OPT_OUT_NOT_FOUND'],
  )
  async optIn(
    @Param() pair: OptOutPairParams,
    @Query() query: ManualOptInDto,
    @CurrentClient() client: Client,
  ): Promise<OptOutDto> {
    const records = await this.optOuts.optInAcrossScope(pair.sender, pair.recipient, {
      source: 'api',
      clientId: client.id,
      reason: query.reason,
      at: new Date(),
    });
    // Empty also when the records hold only keywords that changed nothing (a START from
    // someone never out).
    if (records.length === 0)
      throw new NotFoundException({
        message: `${pair.recipient} never opted out of ${pair.sender}${this.optOuts.scopeOf(pair.sender).length > 1 ? ' nor of any number of its pool' : ''}`,
        code: 'OPT_OUT_NOT_FOUND',
      });
    const latest = (a: OptOutRecord, b: OptOutRecord) =>
      b.updatedAt.getTime() - a.updatedAt.getTime();
    return this.toDto(
      records.find((r) => r.sender === pair.sender) ?? [...records].sort(latest)[0],
    );
  }

  private toDto(record: OptOutRecord): OptOutDto {
    return toDto(record, this.optOuts.scope, this.optOuts.scopeOf(record.sender));
  }
}

function toDto(record: OptOutRecord, scope: OptOutScope, appliesTo: string[]): OptOutDto {
  return {
    sender: record.sender,
    recipient: record.recipient,
    optedOut: record.optedOut,
    scope,
    appliesTo,
    history: (record.history ?? []).map((h) => ({
      action: h.action,
      source: h.source,
      ...(h.inboundMessageId ? { inboundMessageId: h.inboundMessageId } : {}),
      ...(h.messageId ? { messageId: h.messageId } : {}),
      ...(h.clientId ? { clientId: h.clientId } : {}),
      ...(h.applied === false ? { applied: false } : {}),
      ...(h.reason ? { reason: h.reason } : {}),
      at: h.at,
    })),
    updatedAt: record.updatedAt,
  };
}
