import { Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { Client, CurrentClient } from '../../auth/client';
import {
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../../shared/error-response.dto';
import { CAMPAIGN_ID_PARAM } from './campaigns.controller';
import { CampaignDto } from './dto/campaign-views.dto';
import { ControlCampaignUseCase } from './usecases/control-campaign/control-campaign.usecase';

@ApiTags('campaigns')
@ApiKeyAuth()
@ApiErrorResponse(401, 'Missing or invalid API key.', ['MISSING_API_KEY', 'INVALID_API_KEY'])
@ApiErrorResponse(404, "No such campaign, or another client's (the same answer).", [
  'CAMPAIGN_NOT_FOUND',
])
@ApiErrorResponse(
  409,
  'The campaign ended (completed, or canceled: nothing to pause or resume), or is still being created.',
  ['CAMPAIGN_FINISHED', 'CAMPAIGN_BEING_CREATED'],
)
@ApiErrorResponse(429, 'Rate limit reached; see Retry-After.', ['RATE_LIMITED'], RATE_LIMIT_HEADERS)
@ApiErrorResponse(500, 'An unexpected error.', ['INTERNAL_ERROR'])
@ApiErrorResponse(
  503,
  'The database is unreachable; retry after Retry-After.',
  ['DATABASE_UNAVAILABLE'],
  RETRY_AFTER_HEADER,
)
@SkipThrottle({ webhook: true })
@Controller('campaigns')
export class CampaignControlController {
  constructor(private readonly control: ControlCampaignUseCase) {}

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Pause: nothing more is handed to Plivo (what is already in flight finishes)',
    description: 'Idempotent: pausing a paused campaign answers the same.',
  })
  @ApiParam(CAMPAIGN_ID_PARAM)
  @ApiResponse({ status: 200, type: CampaignDto })
  pause(@Param('id') id: string, @CurrentClient() client: Client): Promise<CampaignDto> {
    return this.control.execute('pause', id, client);
  }

  @Post(':id/resume')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Resume a paused campaign: its held messages are due again' })
  @ApiParam(CAMPAIGN_ID_PARAM)
  @ApiResponse({ status: 200, type: CampaignDto })
  resume(@Param('id') id: string, @CurrentClient() client: Client): Promise<CampaignDto> {
    return this.control.execute('resume', id, client);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Cancel: every message not yet handed to Plivo becomes canceled (with its status callback)',
  })
  @ApiParam(CAMPAIGN_ID_PARAM)
  @ApiResponse({ status: 200, type: CampaignDto })
  cancel(@Param('id') id: string, @CurrentClient() client: Client): Promise<CampaignDto> {
    return this.control.execute('cancel', id, client);
  }
}
