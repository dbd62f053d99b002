import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { IdempotencyRecord, IdempotencyRecordSchema } from './idempotency-record.schema';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: IdempotencyRecord.name, schema: IdempotencyRecordSchema }]),
  ],
  providers: [IdempotencyStore, IdempotencyInterceptor],
  // The interceptor is built in the module of the controller that uses it (SendModule), so
  // its own dependency, the store, is exported with it.
  exports: [IdempotencyInterceptor, IdempotencyStore],
})
export class IdempotencyModule {}
