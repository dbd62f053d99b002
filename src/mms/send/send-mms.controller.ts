import { Body, Controller, HttpCode, HttpStatus, Post, UseInterceptors } from '@nestjs/common';
import {
  IDEMPOTENCY_KEY_PATTERN,
  IdempotencyInterceptor,
  MAX_KEY_LENGTH,
} from './idempotency/idempotency.interceptor';
import { MAX_MEDIA } from '../plivo/plivo-limits';
import {
  ApiBody,
  ApiCallbacks,
  ApiExtraModels,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Types } from 'mongoose';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { Client, CurrentClient } from '../../auth/client';
import { ReservedMessageId } from './idempotency/reserved-message-id';
import { SendMmsDto } from './dto/send-mms.dto';
import { SendMmsResponseDto } from './dto/send-mms-response.dto';
import {
  ACCEPT_POST_HEADER,
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../../shared/error-response.dto';
import { SendMmsUseCase } from './usecases/send-mms/send-mms.usecase';
import { StatusCallbackPayloadDto } from '../client-callbacks/callback-payload';

@ApiTags('send')
@ApiKeyAuth()
@SkipThrottle({ webhook: true })
@Controller()
export class SendMmsController {
  constructor(private readonly sendMms: SendMmsUseCase) {}

  @Post('send-mms')
  @HttpCode(HttpStatus.ACCEPTED)
  @UseInterceptors(IdempotencyInterceptor)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_KEY_LENGTH,
      pattern: IDEMPOTENCY_KEY_PATTERN.source,
    },
    description: `Up to ${MAX_KEY_LENGTH} printable characters, unique per message. A repeat with the same body within 24 h returns the first answer (Idempotent-Replayed: true) without sending again; with another body: 422; while the first is in flight: 409.`,
  })
  @ApiOperation({
    summary: 'Send an MMS through Plivo',
    description:
      'Logs the message, asks Plivo to send it and answers once Plivo has queued it. Delivery is then followed through ' +
      'Plivo status callbacks: GET /messages/{messageId} shows it, and with statusCallbackUrl each status change is POSTed there, ' +
      `signed (X-Mms-Signature), retried, in order. 1 to ${MAX_MEDIA} media in total across mediaUrl, mediaUrls and mediaIds.`,
  })
  // ApiCallbacks only writes the $ref: the payload's schema must be registered on its own.
  @ApiExtraModels(StatusCallbackPayloadDto)
  @ApiCallbacks({
    name: 'messageStatus',
    callbackUrl: '{$request.body#/statusCallbackUrl}',
    method: 'post',
    requestBody: { type: StatusCallbackPayloadDto },
    expectedResponse: {
      status: 204,
      description:
        'Any 2xx: delivered. 410: no more events for this message. Anything else, a timeout or a connection error: retried with backoff until STATUS_CALLBACK_MAX_AGE_MS.',
    },
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({
    type: SendMmsDto,
    // The original request, as the seed's clients send it: the example Swagger UI fills in.
    examples: {
      seed: {
        summary: 'One image (the original contract)',
        value: {
          destinationNumber: '+14157654321',
          messageText: 'Hello from Plivo MMS!',
          mediaUrl: 'https://media.giphy.com/media/26gscSULUcfKU7dHq/source.gif',
        },
      },
    },
  })
  @ApiResponse({
    status: 202,
    description:
      "Plivo queued the message (status queued, with plivoResponse), or the gateway holds it (status scheduled, with sendAt and validUntil): for a sendAt ahead, or when the pacing of Plivo's rates gives it no slot within PACING_MAX_WAIT_MS.",
    type: SendMmsResponseDto,
  })
  @ApiErrorResponse(
    400,
    'Nothing was sent: invalid input (each bad field named in `errors`), a body that cannot be read, a media URL the policy refuses (a private or local address, credentials, a scheme; named under the field it came in), a statusCallbackUrl the same policy refuses or status callbacks off, a bad or missing Idempotency-Key, or Plivo refused the message.',
    [
      'VALIDATION_FAILED',
      'MALFORMED_JSON',
      'MALFORMED_BODY',
      'MEDIA_URL_BLOCKED',
      'CALLBACK_URL_BLOCKED',
      'STATUS_CALLBACKS_DISABLED',
      'INVALID_IDEMPOTENCY_KEY',
      'IDEMPOTENCY_KEY_REQUIRED',
      'PLIVO_REJECTED',
    ],
  )
  @ApiErrorResponse(401, 'Missing or invalid API key. Nothing was sent.', [
    'MISSING_API_KEY',
    'INVALID_API_KEY',
  ])
  @ApiErrorResponse(
    403,
    "senderNumber is not one of the caller's numbers (SENDER_NUMBERS, else PLIVO_SENDER_NUMBER): nothing was sent, nothing logged.",
    ['SENDER_NOT_ALLOWED'],
  )
  @ApiErrorResponse(
    409,
    'A request with this Idempotency-Key is still in flight; retry after Retry-After.',
    ['IDEMPOTENCY_IN_FLIGHT'],
    RETRY_AFTER_HEADER,
  )
  @ApiErrorResponse(
    413,
    'The body is larger than BODY_LIMIT (100 kB by default), or a form has too many fields.',
    ['PAYLOAD_TOO_LARGE'],
  )
  @ApiErrorResponse(
    415,
    'The body is neither application/json nor application/x-www-form-urlencoded (text/plain, XML, multipart…), or its charset or Content-Encoding is not supported.',
    ['UNSUPPORTED_MEDIA_TYPE'],
    ACCEPT_POST_HEADER,
  )
  @ApiErrorResponse(
    422,
    'This Idempotency-Key came with another body, the destination cannot take MMS (and no SMS fallback was sent), a media file cannot be delivered (MEDIA_PREFLIGHT), or the recipient opted out of our sender number (STOP): nothing was sent, nothing logged.',
    [
      'IDEMPOTENCY_KEY_REUSED',
      'MMS_UNSUPPORTED_DESTINATION',
      'MEDIA_NOT_DELIVERABLE',
      'RECIPIENT_OPTED_OUT',
    ],
  )
  @ApiErrorResponse(
    429,
    'Rate limit for this API key (or IP) reached; see Retry-After.',
    ['RATE_LIMITED'],
    RATE_LIMIT_HEADERS,
  )
  @ApiErrorResponse(
    500,
    'An unexpected error, or the Plivo client failed before sending: nothing was sent.',
    ['INTERNAL_ERROR', 'PLIVO_CLIENT_ERROR'],
  )
  @ApiErrorResponse(502, 'Plivo refused our credentials (an operator problem).', [
    'PLIVO_AUTH_FAILED',
  ])
  @ApiErrorResponse(
    503,
    'Plivo throttled, unavailable or unreachable, our database is down, or the message cannot get a pacing slot before its validUntil (SEND_BACKLOG_FULL): nothing was sent; retry after Retry-After.',
    [
      'PLIVO_THROTTLED',
      'PLIVO_UNAVAILABLE',
      'PLIVO_UNREACHABLE',
      'DATABASE_UNAVAILABLE',
      'SEND_BACKLOG_FULL',
    ],
    RETRY_AFTER_HEADER,
  )
  @ApiErrorResponse(
    504,
    'Plivo did not answer (or the request holding this Idempotency-Key died before it did): the message may have been queued and was not resent (status `unknown`); its status callback settles it. Poll GET /messages/{messageId} rather than retrying.',
    ['PLIVO_OUTCOME_UNKNOWN'],
  )
  send(
    @Body() dto: SendMmsDto,
    @CurrentClient() client: Client,
    @ReservedMessageId() messageId?: Types.ObjectId,
  ): Promise<SendMmsResponseDto> {
    return this.sendMms.execute(dto, { client, messageId });
  }
}
