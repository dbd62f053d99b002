import { ApiProperty } from '@nestjs/swagger';

/** The error body every route documents in Swagger (built by errorBody in error-body.ts). */
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
