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

export class FieldErrorDto {
  @ApiProperty({ example: 'destinationNumber' })
  field: string;

  @ApiProperty({ type: [String] })
  messages: string[];
}

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    example: 'destinationNumber must be a valid phone number in E.164 format, e.g. +14155550100',
  })
  message: string;

  @ApiProperty({
    example: '0b6c4c8e-5d7e-4a39-9a53-5f2f3b0a1c11',
    description: 'Echoes X-Request-Id; quote it when reporting a problem.',
  })
  requestId: string;

  @ApiProperty({
    required: false,
    type: () => [FieldErrorDto],
    description: 'Validation errors, one per field.',
    example: [
      {
        field: 'destinationNumber',
        messages: [
          'destinationNumber must be a valid phone number in E.164 format, e.g. +14155550100',
        ],
      },
    ],
  })
  errors?: { field: string; messages: string[] }[];

  @ApiProperty({
    required: false,
    description: 'Our message log id, when the failure happened after the message was logged.',
  })
  messageId?: string;

  @ApiProperty({
    required: false,
    description: 'A stable machine-readable code for some errors.',
    example: 'VALIDATION_FAILED',
  })
  code?: string;
}
