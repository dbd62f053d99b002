import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { AllConfig } from '../config/config.type';
import { IndexDriftCheck } from './index-drift';

/** The MongoDB connection every feature's models use, and the start-up index check. */
@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => {
        const db = config.get('database', { infer: true });
        return {
          uri: db.uri,
          serverSelectionTimeoutMS: db.serverSelectionTimeoutMs,
          // Fail fast instead of queueing writes in memory while the database is away: a send
          // must get a 503 at once, never a silently delayed log.
          bufferCommands: false,
          // Production builds indexes with `npm run db:indexes` (an explicit step, run by the
          // Deployment's init container), not at every pod start; see MONGODB_AUTO_INDEX.
          autoIndex: db.autoIndex,
          // Unreachable at boot: give up after 3 tries (well within 30 s) and exit non-zero with
          // a clear message rather than hang; Kubernetes restarts the pod.
          retryAttempts: 2,
          retryDelay: 1000,
        };
      },
    }),
  ],
  providers: [IndexDriftCheck],
})
export class DatabaseModule {}
