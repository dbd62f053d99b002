import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NestInterceptor,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import type { Types } from 'mongoose';
import { Observable, catchError, from, mergeMap, throwError } from 'rxjs';
import { OPEN_ACCESS_CLIENT, RequestWithClient } from '../../../auth/client';
import { longestRequestMs } from '../../../config/configuration';
import { AllConfig } from '../../../config/config.type';
import { sha256Hex } from '../../../shared/crypto';
import { RetryableHttpException } from '../../../shared/retryable.exception';
import { IdempotencyStore, Reservation } from './idempotency.store';
import { LapsedKeyResolver, LapsedKeyVerdict } from './lapsed-key';
import {
  RequestWithReservation,
  RESERVED_MESSAGE_ID,
  ReservedMessageIdInUseException,
} from './reserved-message-id';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const MAX_KEY_LENGTH = 255;
/** Printable ASCII, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Idempotency-Key on POST /send-mms, keyed by (client, key):
 *  - first request: runs under a message id chosen now; its answer is kept 24 h when it says
 *    something final about the message (202, Plivo's refusal, an ambiguous 504); a failure
 *    that sent nothing (validation, 429, 503, 502) frees the key so the client can retry
 *  - same key + same body after completion: the kept answer again, Idempotent-Replayed: true
 *  - same key + other body: 422; same key while the first is in flight: 409 + Retry-After
 *  - same key after the first request's lease ran out with no answer (its process died): the
 *    answer the message log supports (202, or the 504 "poll" answer), never a second send
 *    unless the log proves nothing reached Plivo
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);
  private readonly required: boolean;
  /** A reservation is presumed alive this long: the longest a request can run. */
  private readonly leaseMs: number;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly lapsed: LapsedKeyResolver,
    config: ConfigService<AllConfig, true>,
  ) {
    this.required = config.get('send.idempotencyRequired', { infer: true });
    this.leaseMs = longestRequestMs(
      config.get('plivo', { infer: true }),
      config.get('send', { infer: true }),
    );
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (key === undefined) {
      if (this.required)
        throw new BadRequestException({
          message: 'Idempotency-Key header is required',
          code: 'IDEMPOTENCY_KEY_REQUIRED',
        });
      return next.handle();
    }
    if (
      typeof key !== 'string' ||
      key.length === 0 ||
      key.length > MAX_KEY_LENGTH ||
      !IDEMPOTENCY_KEY_PATTERN.test(key)
    ) {
      throw new BadRequestException({
        message: `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`,
        code: 'INVALID_IDEMPOTENCY_KEY',
      });
    }
    const id = `${(req as RequestWithClient).client?.id ?? OPEN_ACCESS_CLIENT.id}:${key}`;
    const requestHash = hashBody(req.body);

    return from(this.reserve(id, requestHash)).pipe(
      mergeMap((reservation) => {
        switch (reservation.outcome) {
          case 'mismatch':
            throw new UnprocessableEntityException({
              message: 'This Idempotency-Key was used with a different request body',
              code: 'IDEMPOTENCY_KEY_REUSED',
            });
          case 'in-flight':
            throw new RetryableHttpException(
              {
                message: 'A request with this Idempotency-Key is still in progress',
                code: 'IDEMPOTENCY_IN_FLIGHT',
              },
              HttpStatus.CONFLICT,
              1,
            );
          case 'completed':
            res.setHeader('Idempotent-Replayed', 'true');
            if (reservation.status >= 400)
              throw new HttpException(reservation.body, reservation.status);
            return from([reservation.body]);
          default: {
            const { holder } = reservation;
            (req as RequestWithReservation)[RESERVED_MESSAGE_ID] = reservation.messageId;
            return next.handle().pipe(
              catchError((error: unknown) =>
                from(this.settleFailure(id, holder, error)).pipe(
                  mergeMap(() => throwError(() => error)),
                ),
              ),
              // Outside catchError: the handler succeeded (Plivo has the message), so a failure
              // to store the answer must neither turn it into an error nor free the key.
              mergeMap((body: unknown) => from(this.keepAnswer(id, holder, res.statusCode, body))),
            );
          }
        }
      }),
    );
  }

  /**
   * Reserves the key; a key whose holder died (lease over, no answer) is settled from the
   * message log: its answer is kept and replayed, or, when the log proves nothing reached
   * Plivo, the key is taken over for a fresh attempt.
   */
  private async reserve(
    id: string,
    requestHash: string,
  ): Promise<Exclude<Reservation, { outcome: 'lapsed' }>> {
    const reservation = await this.store.reserve(id, requestHash, this.leaseMs);
    if (reservation.outcome !== 'lapsed') return reservation;
    const verdict = await this.resolveLapsed(reservation.messageId);
    if (verdict.answer === 'retry') {
      const taken = await this.store.takeOver(
        id,
        reservation.holder,
        verdict.messageId,
        this.leaseMs,
      );
      return taken ? { outcome: 'reserved', ...taken } : { outcome: 'in-flight' };
    }
    const status = verdict.answer === 'accepted' ? verdict.status : verdict.exception.getStatus();
    const body =
      verdict.answer === 'accepted'
        ? verdict.body
        : (verdict.exception.getResponse() as Record<string, unknown>);
    this.logger.warn(
      { idempotencyKey: id, status, messageId: body.messageId },
      'An Idempotency-Key outlived its request; answered from the message log',
    );
    await this.store.complete(id, reservation.holder, status, body);
    return { outcome: 'completed', status, body };
  }

  /** What a lapsed key's request did, from what it writes (the message log, for a send). */
  protected resolveLapsed(id: Types.ObjectId | undefined): Promise<LapsedKeyVerdict> {
    return this.lapsed.resolve(id);
  }

  private async keepAnswer(
    id: string,
    holder: string,
    status: number,
    body: unknown,
  ): Promise<unknown> {
    try {
      await this.store.complete(id, holder, status, body as Record<string, unknown>);
    } catch (error) {
      // The key stays "in flight" until it expires: a retry gets 409, never a second send.
      this.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'Could not store an idempotent answer',
      );
    }
    return body;
  }

  private async settleFailure(id: string, holder: string, error: unknown): Promise<void> {
    // Another request with this key logged under the reserved id first: it is the one that
    // sends; the key stays in flight for it (its answer, or its log after the lease, settles it).
    if (error instanceof ReservedMessageIdInUseException) return;
    const status = error instanceof HttpException ? error.getStatus() : 500;
    const response = error instanceof HttpException ? error.getResponse() : undefined;
    const aboutTheMessage =
      typeof response === 'object' && response !== null && 'messageId' in response;
    // Keep answers that settle the message (Plivo refused it, or it may be queued: 504);
    // free the key when nothing was sent, so a retry with the same key can succeed.
    const final = aboutTheMessage && (status === 504 || (status >= 400 && status < 500));
    try {
      if (final) await this.store.complete(id, holder, status, response as Record<string, unknown>);
      else await this.store.release(id, holder);
    } catch {
      // The database is the likely cause of the original error; the key expires in 24 h.
    }
  }
}

/** Canonical JSON (sorted keys), so field order and JSON-vs-form encoding do not matter. */
export function hashBody(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
