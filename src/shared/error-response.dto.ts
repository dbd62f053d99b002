import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'destinationNumber' })
  field: string;

  @ApiProperty({ type: [String] })
  messages: string[];
}

/** The error body every route documents in Swagger (built by errorBody in error-body.ts). */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    description:
      'A stable machine-readable code: each response names its own (docs/errors.md lists them all).',
    example: 'VALIDATION_FAILED',
  })
  code: string;

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
    type: Object,
    additionalProperties: true,
    description: 'GET /health/live and /health/ready: the result of each check.',
  })
  details?: Record<string, unknown>;
}

/**
 * Documents one error status of a route: the common error body, whose `code` is one of
 * `codes`, each also named in the description (in backticks, as docs/errors.md's table),
 * and the headers that come with it.
 */
export function ApiErrorResponse(
  status: number,
  description: string,
  codes: readonly [string, ...string[]],
  headers: Record<string, ResponseHeaderDoc> = {},
): MethodDecorator & ClassDecorator {
  const named = codes.map((code) => `\`${code}\``).join(', ');
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto),
    ApiResponse({
      status,
      description: `${description} (${codes.length > 1 ? 'codes' : 'code'} ${named})`,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      schema: {
        allOf: [
          { $ref: getSchemaPath(ErrorResponseDto) },
          {
            type: 'object',
            properties: {
              statusCode: { type: 'number', enum: [status] },
              code: { type: 'string', enum: [...codes] },
            },
          },
        ],
      },
    }),
  );
}

/** An OpenAPI response header. */
export interface ResponseHeaderDoc {
  description: string;
  required: boolean;
  schema: { type: 'string'; pattern?: string };
}

/** A header whose value is a whole number of seconds or requests (always sent with its status). */
const count = (description: string): ResponseHeaderDoc => ({
  description,
  required: true,
  schema: { type: 'string', pattern: '^[0-9]+$' },
});

/** The headers of every 429, whichever route answers it (set by ClientThrottlerGuard). */
export const RATE_LIMIT_HEADERS: Record<string, ResponseHeaderDoc> = {
  'Retry-After': count('Seconds until this client may send again.'),
  'X-RateLimit-Limit': count('Requests allowed per window.'),
  'X-RateLimit-Remaining': count('Requests left in this window (0).'),
  'X-RateLimit-Reset': count('Seconds until the window resets.'),
};

/** Retry-After on a 503 (and on a 409 in flight): seconds to wait before retrying. */
export const RETRY_AFTER_HEADER: Record<string, ResponseHeaderDoc> = {
  'Retry-After': count('Seconds to wait before retrying.'),
};

/** On a 415 for the body's media type (mediaTypeGuard); not on a bad charset or encoding. */
export const ACCEPT_POST_HEADER: Record<string, ResponseHeaderDoc> = {
  'Accept-Post': {
    description: 'The media types this route accepts.',
    required: false,
    schema: { type: 'string' },
  },
};
