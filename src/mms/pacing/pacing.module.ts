import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Pacer } from './pacer';
import { PacingState, PacingStateSchema } from './pacing-state.schema';

/** Plivo's rates across replicas: slots per account and sender number, kept in MongoDB. */
@Module({
  imports: [MongooseModule.forFeature([{ name: PacingState.name, schema: PacingStateSchema }])],
  providers: [Pacer],
  exports: [Pacer],
})
export class PacingModule {}
