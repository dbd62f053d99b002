import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { IdempotencyRecord, IdempotencyRecordSchema } from './idempotency-record.schema';
import { IdempotencyStore } from './idempotency.store';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: IdempotencyRecord.name, schema: IdempotencyRecordSchema }]),
  ],
  providers: [IdempotencyStore],
  // The interceptor (@UseInterceptors on the controller) is built by Nest in the controller's
  // module, SendModule, which therefore needs the store.
  exports: [IdempotencyStore],
})
export class IdempotencyModule {}
