import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { IdempotencyInterceptor } from '../send/idempotency/idempotency.interceptor';
import { LapsedKeyVerdict } from '../send/idempotency/lapsed-key';

/**
 * Idempotency-Key on POST /campaigns, as on sends, the reserved id being the campaign's. A key
 * whose request died (its lease ran out) is always taken over under the SAME id: creation
 * resumes the campaign it left `creating` (its messages already written are skipped by the
 * unique campaign+recipient index), or answers the one it finished. Nothing reached Plivo on
 * its behalf before the campaign was due, so there is never an ambiguous answer to give.
 */
@Injectable()
export class CampaignIdempotencyInterceptor extends IdempotencyInterceptor {
  protected override resolveLapsed(id: Types.ObjectId | undefined): Promise<LapsedKeyVerdict> {
    return Promise.resolve({ answer: 'retry', messageId: id ?? new Types.ObjectId() });
  }
}
