import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PlivoAcceptanceDto {
  @ApiProperty({ example: 'message(s) queued' })
  message: string;

  @ApiProperty({ type: [String], example: ['3a5c7b2e-1f7a-11ef-9b3b-0242ac110002'] })
  messageUuid: string[];

  @ApiProperty({ example: '3a5b1d8c-1f7a-11ef-9b3b-0242ac110002' })
  apiId: string;
}

export class SendMmsResponseDto {
  @ApiProperty({ example: 'MMS sending request accepted.' })
  message: string;

  @ApiProperty({
    example: '665f1c2e9d3b4a0012345678',
    description: 'Our message log id: GET /messages/{messageId}.',
  })
  messageId: string;

  @ApiProperty({
    enum: ['queued', 'scheduled'],
    example: 'queued',
    description:
      'queued: Plivo has it (plivoResponse); scheduled: the gateway holds it until sendAt (asked for, or the next pacing slot).',
  })
  status: 'queued' | 'scheduled';

  @ApiPropertyOptional({ type: PlivoAcceptanceDto, description: 'Present when status is queued.' })
  plivoResponse?: PlivoAcceptanceDto;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'A scheduled message: when it is to be sent (estimated when pacing chose it).',
  })
  sendAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'A scheduled message: not sent after this, it expires.',
  })
  validUntil?: string;

  @ApiProperty({
    enum: ['mms', 'sms'],
    description: 'sms when the message fell back to an SMS carrying the media links.',
  })
  channel: 'mms' | 'sms';

  @ApiPropertyOptional({ description: 'Why the message was sent as SMS.' })
  fallbackReason?: string;
}
