import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { IdempotencyRecord, IdempotencyRecordSchema } from './idempotency-record.schema';
import { IdempotencyStore } from './idempotency.store';
import { LapsedKeyResolver } from './lapsed-key';
import { MessageLogModule } from '../../message-log/message-log.module';

@Module({
  imports: [
    MessageLogModule,
    MongooseModule.forFeature([{ name: IdempotencyRecord.name, schema: IdempotencyRecordSchema }]),
  ],
  providers: [IdempotencyStore, LapsedKeyResolver],
  // The interceptor (@UseInterceptors on the controller) is built by Nest in the controller's
  // module, SendModule, which therefore needs the store.
  exports: [IdempotencyStore, LapsedKeyResolver],
})
export class IdempotencyModule {}
