import mongoose from 'mongoose';
import {
  IdempotencyRecord,
  IdempotencyRecordSchema,
} from './mms/send/idempotency/idempotency-record.schema';
import { readEnvironment } from './config/environment';
import { withoutBlanks } from './config/validate-config';
import { indexDrift } from './database/index-drift';
import { Campaign, CampaignSchema } from './mms/campaigns/campaign.schema';
import { MessageLog, MessageLogSchema } from './mms/message-log/message-log.schema';
import { OptOut, OptOutSchema } from './mms/opt-outs/opt-out.schema';
import { ReplyWindow, ReplyWindowSchema } from './mms/opt-outs/reply-window.schema';
import {
  UnmatchedCallback,
  UnmatchedCallbackSchema,
} from './mms/webhooks/unmatched-callback.schema';

/**
 * `npm run db:indexes` (node dist/db-indexes.js): makes each collection's indexes exactly what
 * its schema declares (Model.syncIndexes: drops undeclared or changed ones, builds the rest); a
 * no-op when they already are. Production builds indexes only this way (MONGODB_AUTO_INDEX is
 * off there): the Deployment runs it as an init container before every pod, and the service
 * refuses to start while an index is missing (MONGODB_REQUIRE_INDEXES). Every model the service
 * registers must be listed here; test/e2e/index-drift proves it.
 */
async function main(): Promise<void> {
  const uri = withoutBlanks(readEnvironment()).MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set');
  const connection = await mongoose.createConnection(uri, { autoIndex: false }).asPromise();
  try {
    const models = [
      connection.model(MessageLog.name, MessageLogSchema),
      connection.model(IdempotencyRecord.name, IdempotencyRecordSchema),
      connection.model(UnmatchedCallback.name, UnmatchedCallbackSchema),
      connection.model(OptOut.name, OptOutSchema),
      connection.model(ReplyWindow.name, ReplyWindowSchema),
      connection.model(Campaign.name, CampaignSchema),
    ];
    for (const model of models) {
      const dropped = await model.syncIndexes();
      console.log(
        `${model.collection.collectionName}: in sync${dropped.length > 0 ? `; dropped ${dropped.join(', ')}` : ''}`,
      );
    }
    const drift = await indexDrift(connection);
    if (drift.length > 0) throw new Error(`still differs: ${drift.join('; ')}`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(`db:indexes failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
