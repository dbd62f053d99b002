import { Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ClientRoutes } from '../../auth/client-routes.decorator';
import { Client, CurrentClient } from '../../auth/client';
import { ApiErrorResponse } from '../../shared/error-response.dto';
import { CAMPAIGN_ID_PARAM } from './campaigns.controller';
import { CampaignDto } from './dto/campaign-views.dto';
import { ControlCampaignUseCase } from './usecases/control-campaign/control-campaign.usecase';

@ApiTags('campaigns')
@ClientRoutes()
@ApiErrorResponse(404, "No such campaign, or another client's (the same answer).", [
  'CAMPAIGN_NOT_FOUND',
])
@ApiErrorResponse(
  409,
  'The campaign ended (completed, or canceled: nothing to pause or resume), or is still being created.',
  ['CAMPAIGN_FINISHED', 'CAMPAIGN_BEING_CREATED'],
)
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
