import { Body, Controller, HttpCode, HttpStatus, Post, UseInterceptors } from '@nestjs/common';
import {
  IDEMPOTENCY_KEY_PATTERN,
  IdempotencyInterceptor,
  MAX_KEY_LENGTH,
} from './idempotency/idempotency.interceptor';
import { MAX_MEDIA } from '../plivo/plivo-limits';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator';
import { SendMmsDto } from './dto/send-mms.dto';
import { SendMmsResponseDto } from './dto/send-mms-response.dto';
import { ErrorResponseDto } from '../../shared/error-response.dto';
import { SendMmsUseCase } from './usecases/send-mms/send-mms.usecase';

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
      `Plivo status callbacks: poll GET /messages/{messageId}. 1 to ${MAX_MEDIA} media in total across mediaUrl, mediaUrls and mediaIds.`,
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
  @ApiResponse({ status: 202, description: 'Plivo queued the message.', type: SendMmsResponseDto })
  @ApiResponse({
    status: 400,
    description:
      'Invalid input, each bad field named (VALIDATION_FAILED); a media URL refused for its address, under the field it came in (MEDIA_URL_BLOCKED); or Plivo rejected the message (PLIVO_REJECTED). Nothing was sent.',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 401,
    description: 'Missing or invalid API key. Nothing was sent.',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 409,
    description:
      'A request with this Idempotency-Key is still in flight (code IDEMPOTENCY_IN_FLIGHT); retry after Retry-After.',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 422,
    description:
      'This Idempotency-Key was used with another body (IDEMPOTENCY_KEY_REUSED); the destination cannot receive MMS and no SMS fallback was sent (MMS_UNSUPPORTED_DESTINATION); or, with MEDIA_PREFLIGHT, a media file Plivo would refuse (MEDIA_NOT_DELIVERABLE).',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 429,
    description: 'Rate limit for this API key (or IP) reached; see Retry-After.',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 502,
    description: 'Plivo refused our credentials (operator problem, code PLIVO_AUTH_FAILED).',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 503,
    description:
      'Plivo throttled, unavailable or unreachable, or our database is down: nothing was sent; retry after Retry-After.',
    type: ErrorResponseDto,
  })
  @ApiResponse({
    status: 504,
    description:
      'Plivo did not answer: the message may have been queued and was not resent (status `unknown`); its status callback settles it.',
    type: ErrorResponseDto,
  })
  send(@Body() dto: SendMmsDto): Promise<SendMmsResponseDto> {
    return this.sendMms.execute(dto);
  }
}
