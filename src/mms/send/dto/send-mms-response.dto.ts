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

  @ApiProperty({ example: 'queued' })
  status: string;

  @ApiProperty({ type: PlivoAcceptanceDto })
  plivoResponse: PlivoAcceptanceDto;

  @ApiProperty({
    enum: ['mms', 'sms'],
    description: 'sms when the message fell back to an SMS carrying the media links.',
  })
  channel: 'mms' | 'sms';

  @ApiPropertyOptional({ description: 'Why the message was sent as SMS.' })
  fallbackReason?: string;
}
