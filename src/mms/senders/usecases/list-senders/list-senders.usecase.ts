import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Client } from '../../../../auth/client';
import { AllConfig } from '../../../../config/config.type';
import { DispatchConfig } from '../../../../config/dispatch.config';
import { poolOfClient, SendersConfig } from '../../../../config/senders.config';
import { SenderListDto } from '../../dto/sender.dto';
import { SenderActivityRepository } from '../../sender-activity.repository';

/**
 * GET /senders: the caller's pool, or (admin) every pool, each number with its client, its
 * per-number caps and the messages held for it (one index-served aggregation).
 */
@Injectable()
export class ListSendersUseCase {
  private readonly senders: SendersConfig;
  private readonly dispatch: DispatchConfig;

  constructor(
    private readonly activity: SenderActivityRepository,
    config: ConfigService<AllConfig, true>,
  ) {
    this.senders = config.get('senders', { infer: true });
    this.dispatch = config.get('dispatch', { infer: true });
  }

  async execute(client: Client): Promise<SenderListDto> {
    const numbers = client.admin
      ? [...Object.values(this.senders.pools).flat(), ...this.senders.defaultPool]
      : poolOfClient(this.senders, client.id);
    const held = await this.activity.heldBySender(numbers);
    const rates = { mms: this.dispatch.sender.mms, sms: this.dispatch.sender.sms };
    return {
      items: numbers.map((number) => ({
        number,
        client: this.senders.owners[number] ?? null,
        rates,
        backlog: held.get(number) ?? 0,
      })),
      accountRates: { mms: this.dispatch.account.mms, sms: this.dispatch.account.sms },
    };
  }
}
