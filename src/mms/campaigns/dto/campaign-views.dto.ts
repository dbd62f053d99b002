import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { PageLimit } from '../../../shared/page-limit';
import { MESSAGE_STATUSES, MessageStatus } from '../../message-log/message-status';
import { CURSOR_PATTERN } from '../../messages/cursor';
import { CAMPAIGN_STATUSES, DeliveryWindow } from '../campaign.schema';

export class CampaignCountsDto {
  @ApiProperty({ description: 'Recipients given.' })
  total: number;
  @ApiProperty({ description: 'Dropped: the same number again after E.164 normalisation.' })
  duplicates: number;
  @ApiProperty({ description: 'Suppressed: opted out (STOP) of the sender.' })
  optedOut: number;
  @ApiProperty({ description: 'Refused: not a valid number (see errors).' })
  invalid: number;
  @ApiProperty({ description: 'Messages created.' })
  scheduled: number;
}

export class RecipientErrorDto {
  @ApiProperty({ example: 'recipients[3]' })
  field: string;
  @ApiProperty({ type: [String] })
  messages: string[];
}

export class CampaignCreatedDto {
  @ApiProperty({ nullable: true, type: String, description: 'null for a dry run.' })
  campaignId: string | null;
  @ApiProperty({ enum: CAMPAIGN_STATUSES })
  status: string;
  @ApiProperty({ type: CampaignCountsDto })
  counts: CampaignCountsDto;
  @ApiPropertyOptional({
    type: [RecipientErrorDto],
    description: 'Invalid recipients by position.',
  })
  errors?: RecipientErrorDto[];
}

export class CampaignDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: CAMPAIGN_STATUSES }) status: string;
  @ApiProperty({ type: CampaignCountsDto }) counts: CampaignCountsDto;
  @ApiProperty({
    description:
      'Messages per status now (scheduled, pending, queued, sent, delivered, canceled…).',
    type: 'object',
    additionalProperties: { type: 'integer' },
  })
  messages: Partial<Record<MessageStatus, number>>;
  @ApiProperty() messageText: string;
  @ApiProperty({ type: [String] }) mediaUrls: string[];
  @ApiProperty({ type: [String] }) mediaIds: string[];
  @ApiPropertyOptional() senderNumber?: string;
  @ApiProperty() sendAt: Date;
  @ApiProperty() validUntil: Date;
  @ApiPropertyOptional() deliveryWindow?: DeliveryWindow;
  @ApiPropertyOptional() maxPerSecond?: number;
  @ApiPropertyOptional() statusCallbackUrl?: string;
  @ApiPropertyOptional() startedAt?: Date;
  @ApiPropertyOptional() finishedAt?: Date;
  @ApiPropertyOptional({
    description: 'When the last held message should go at the current rate (while running).',
  })
  estimatedFinishAt?: Date;
  @ApiProperty() createdAt: Date;
}

export class CampaignListDto {
  @ApiProperty({ type: [CampaignDto] }) items: Omit<CampaignDto, 'messages'>[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class PageQueryDto {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({
    description: 'The nextCursor of the previous page.',
    pattern: CURSOR_PATTERN.source,
  })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class CampaignMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: MessageStatus;
}
