import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MetricsModule } from '../../metrics/metrics.module';
import { OptOut, OptOutSchema } from './opt-out.schema';
import { OptOutsController } from './opt-outs.controller';
import { OptOutsRepository } from './opt-outs.repository';
import { OptOutsService } from './opt-outs.service';
import { ReplyWindow, ReplyWindowSchema } from './reply-window.schema';
import { ReplyWindows } from './reply-windows';

/**
 * Who opted out of which of our numbers (STOP, error 200, the API), checked by every send; the
 * admin API over the list; the reply windows of STOP/START/HELP replies.
 */
@Module({
  imports: [
    MetricsModule,
    MongooseModule.forFeature([
      { name: OptOut.name, schema: OptOutSchema },
      { name: ReplyWindow.name, schema: ReplyWindowSchema },
    ]),
  ],
  controllers: [OptOutsController],
  providers: [OptOutsRepository, OptOutsService, ReplyWindows],
  exports: [OptOutsService, ReplyWindows],
})
export class OptOutsModule {}
