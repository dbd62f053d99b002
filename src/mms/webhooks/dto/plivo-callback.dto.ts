import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation only: the webhook bodies are read loosely (Plivo adds fields over time). */
export class StatusCallbackDto {
  @ApiProperty({ example: '3a5c7b2e-1f7a-11ef-9b3b-0242ac110002' })
  MessageUUID: string;
  @ApiProperty({
    example: 'delivered',
    enum: ['queued', 'sent', 'delivered', 'undelivered', 'failed', 'rejected', 'read'],
  })
  Status: string;
  @ApiPropertyOptional({ example: '3', description: 'Callback order; part of the dedupe key.' })
  Sequence?: string;
  @ApiPropertyOptional({ example: '14157654321' })
  To?: string;
  @ApiPropertyOptional({ example: '14155550100' })
  From?: string;
  @ApiPropertyOptional({ example: 'mms' })
  Type?: string;
  @ApiPropertyOptional({
    example: '000',
    description: 'Set on failed/undelivered; stored with its meaning.',
  })
  ErrorCode?: string;
  @ApiPropertyOptional({ example: '1' })
  Units?: string;
  @ApiPropertyOptional({ example: '0.02000' })
  TotalRate?: string;
  @ApiPropertyOptional({ example: '0.02000' })
  TotalAmount?: string;
  @ApiPropertyOptional({ example: '310' })
  MCC?: string;
  @ApiPropertyOptional({ example: '004' })
  MNC?: string;
  @ApiPropertyOptional({ example: '2026-11-27 10:00:00.000000' })
  MessageTime?: string;
  @ApiPropertyOptional()
  QueuedTime?: string;
  @ApiPropertyOptional()
  SentTime?: string;
  @ApiPropertyOptional()
  DeliveryReportTime?: string;
  @ApiPropertyOptional()
  ParentMessageUUID?: string;
  @ApiPropertyOptional({ example: '1 of 1' })
  PartInfo?: string;
}

export class InboundMessageCallbackDto {
  @ApiProperty({ example: '5b2a8d2e-1f7a-11ef-9b3b-0242ac110002' })
  MessageUUID: string;
  @ApiProperty({ example: '14157654321' })
  From: string;
  @ApiProperty({ example: '14155550100' })
  To: string;
  @ApiProperty({ example: 'mms', enum: ['sms', 'mms'] })
  Type: string;
  @ApiPropertyOptional({ description: 'MMS text.' })
  Body?: string;
  @ApiPropertyOptional({ description: 'SMS text.' })
  Text?: string;
  @ApiPropertyOptional({ example: '2' })
  MediaCount?: string;
  @ApiPropertyOptional({
    example: 'https://media.plivo.com/…',
    description: 'Media0…Media9 or Media1…Media10: every MediaN is read, in order.',
  })
  Media0?: string;
  @ApiPropertyOptional()
  Media1?: string;
  @ApiPropertyOptional()
  Units?: string;
  @ApiPropertyOptional()
  TotalRate?: string;
  @ApiPropertyOptional()
  TotalAmount?: string;
}
