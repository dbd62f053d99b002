import { BadGatewayException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { LeanMessageLog } from './lean-log.schema';
import { LeanPlivoSender } from './plivo-sender';
import { LeanSendRequest } from './send-request.dto';

/**
 * Validates (the global ValidationPipe), inserts a pending log (no message reaches Plivo
 * unrecorded), calls Plivo, moves the log to `queued` (or `failed`), answers 202.
 */
@Controller()
export class LeanSendController {
  constructor(
    @InjectModel(LeanMessageLog.name) private readonly logs: Model<LeanMessageLog>,
    private readonly plivo: LeanPlivoSender,
  ) {}

  @Post('send-mms')
  @HttpCode(202)
  async send(@Body() body: LeanSendRequest) {
    const log = await this.logs.create({
      sender: this.plivo.senderNumber,
      recipient: body.destinationNumber,
      text: body.messageText,
      mediaUrls: [body.mediaUrl],
      status: 'pending',
      statusRank: 0,
      statusHistory: [{ status: 'pending', at: new Date(), source: 'api' }],
    });
    let accepted;
    try {
      accepted = await this.plivo.send(body.destinationNumber, body.messageText, body.mediaUrl);
    } catch {
      await this.moveTo(log._id, 'failed', 9);
      throw new BadGatewayException('Plivo refused or did not answer');
    }
    await this.moveTo(log._id, 'queued', 2, accepted.messageUuid[0]);
    return {
      message: 'MMS sending request accepted.',
      messageId: log._id.toHexString(),
      status: 'queued',
      plivoResponse: {
        message: accepted.message,
        messageUuid: accepted.messageUuid,
        apiId: accepted.apiId,
      },
    };
  }

  /** One conditional update: a status never moves back (a callback may have come first). */
  private moveTo(id: unknown, status: string, rank: number, plivoMessageUuid?: string) {
    const at = new Date();
    return this.logs.updateOne(
      { _id: id, statusRank: { $lt: rank } },
      {
        $set: { status, statusRank: rank, ...(plivoMessageUuid ? { plivoMessageUuid } : {}) },
        $push: { statusHistory: { status, at, source: 'plivo-response' } },
      },
    );
  }
}
