import { Body, Controller, HttpCode, Post, Query, Res, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiCallbacks,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../../auth/public.decorator';
import { WebhookThrottlerGuard } from '../../throttling/webhook-throttler.guard';
import {
  ACCEPT_POST_HEADER,
  ApiErrorResponse,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
} from '../../shared/error-response.dto';
import { InboundMessageCallbackDto, StatusCallbackDto } from './dto/plivo-callback.dto';
import { normalizeParams, parseInboundMessage } from './plivo-callback';
import { PLIVO_WEBHOOK_ROUTES } from '../plivo/webhook-routes';
import { PlivoSignatureGuard } from './plivo-signature.guard';
import { InboundMessagesService } from './inbound-messages.service';
import { MessageReceivedPayloadDto } from '../client-callbacks/callback-payload';
import { StatusCallbacksService } from './status-callbacks.service';

/**
 * Called by Plivo, not by clients. Both routes are signature-guarded; the body is read as
 * loose key/values (Plivo adds fields over time, so unknown fields are never a 400).
 */
@ApiTags('webhooks (called by Plivo)')
@Controller()
@Public()
// The webhooks' own limit is counted after the signature check (WebhookThrottlerGuard), not by
// the global guard, so that forged requests never use up Plivo's share.
@SkipThrottle({ default: true, webhook: true })
@UseGuards(PlivoSignatureGuard, WebhookThrottlerGuard)
@ApiHeader({
  name: 'X-Plivo-Signature-V3',
  required: true,
  description:
    'Base64 HMAC-SHA256 of the called URL + sorted params + nonce with the auth token; several may be comma-separated.',
})
@ApiHeader({ name: 'X-Plivo-Signature-V3-Nonce', required: true })
@ApiErrorResponse(413, 'The body is larger than BODY_LIMIT, or a form has too many fields.', [
  'PAYLOAD_TOO_LARGE',
])
@ApiErrorResponse(
  415,
  'The body is neither form-urlencoded (what Plivo sends) nor JSON, or its charset or Content-Encoding is not supported.',
  ['UNSUPPORTED_MEDIA_TYPE'],
  ACCEPT_POST_HEADER,
)
@ApiErrorResponse(
  429,
  'The webhook rate limit (WEBHOOK_THROTTLE_LIMIT, counting signed requests only) is reached: Plivo retries later. Or, for a request with a missing or invalid signature, that of unsigned requests (WEBHOOK_UNSIGNED_THROTTLE_LIMIT).',
  ['RATE_LIMITED'],
  RATE_LIMIT_HEADERS,
)
@ApiErrorResponse(500, 'An unexpected error: Plivo retries it.', ['INTERNAL_ERROR'])
export class PlivoWebhooksController {
  constructor(
    private readonly callbacks: StatusCallbacksService,
    private readonly inboundMessages: InboundMessagesService,
  ) {}

  @Post(PLIVO_WEBHOOK_ROUTES.status)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Plivo message status callback (the `url` of each send)',
    description:
      'Form-encoded (Plivo default) or JSON. Applied once per MessageUUID+Status+Sequence; a status never moves backwards. Unknown messages are kept and applied when they appear.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: StatusCallbackDto })
  @ApiQuery({
    name: 'ref',
    required: false,
    description:
      'Our message id, added to the callback URL at send time (signed by Plivo with the URL).',
  })
  @ApiResponse({
    status: 200,
    description: 'Applied, recorded as late, duplicate, or kept for later.',
  })
  @ApiErrorResponse(400, 'A malformed body, or no valid MessageUUID or Status.', [
    'INVALID_CALLBACK',
    'MALFORMED_JSON',
    'MALFORMED_BODY',
  ])
  @ApiErrorResponse(403, 'Missing or invalid signature; nothing changed.', ['INVALID_SIGNATURE'])
  @ApiErrorResponse(
    503,
    'Could not be stored (database down): Plivo retries it.',
    ['DATABASE_UNAVAILABLE'],
    RETRY_AFTER_HEADER,
  )
  async status(@Body() body: unknown, @Query('ref') ref?: unknown): Promise<{ result: string }> {
    const result = await this.callbacks.applyStatusCallback(
      normalizeParams(body),
      typeof ref === 'string' ? ref : undefined,
    );
    return { result };
  }

  @Post(PLIVO_WEBHOOK_ROUTES.inbound)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Plivo inbound message webhook (the application `message_url`)',
    description:
      'Stores an inbound SMS/MMS with every Media<n> URL in order; answers 200 with an empty body. Listed by GET /messages?direction=inbound.',
  })
  // The owner's signed message.received event, through the status callbacks' outbox.
  @ApiExtraModels(MessageReceivedPayloadDto)
  @ApiCallbacks({
    name: 'messageReceived',
    callbackUrl: 'INBOUND_CALLBACK_URLS',
    method: 'post',
    requestBody: { type: MessageReceivedPayloadDto },
    expectedResponse: {
      status: 204,
      description:
        "Sent to the URL INBOUND_CALLBACK_URLS gives the number's owner, signed like status callbacks. Any 2xx: delivered. 410: stopped. Anything else: retried with backoff until STATUS_CALLBACK_MAX_AGE_MS.",
    },
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: InboundMessageCallbackDto })
  @ApiResponse({ status: 200, description: 'Stored (or already stored).' })
  @ApiErrorResponse(400, 'A malformed body, or no valid MessageUUID, From or To.', [
    'INVALID_CALLBACK',
    'MALFORMED_JSON',
    'MALFORMED_BODY',
  ])
  @ApiErrorResponse(403, 'Missing or invalid signature; nothing stored.', ['INVALID_SIGNATURE'])
  @ApiErrorResponse(
    503,
    'Could not be stored (database down): Plivo retries it.',
    ['DATABASE_UNAVAILABLE'],
    RETRY_AFTER_HEADER,
  )
  async inbound(@Body() body: unknown, @Res() res: Response): Promise<void> {
    await this.inboundMessages.store(parseInboundMessage(normalizeParams(body)));
    res.status(200).end();
  }
}
