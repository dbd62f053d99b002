import { ApiProperty } from '@nestjs/swagger';

export class ChannelRatesDto {
  @ApiProperty({ example: 0.25, description: 'MMS per second; 0: no cap.' })
  mms: number;
  @ApiProperty({ example: 5, description: 'SMS per second; 0: no cap.' })
  sms: number;
}

export class SenderDto {
  @ApiProperty({ example: '+14155550100' })
  number: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'marketing',
    description:
      'The client whose pool holds it (SENDER_NUMBERS); null for PLIVO_SENDER_NUMBER, the pool shared by every client SENDER_NUMBERS does not name.',
  })
  client: string | null;
  @ApiProperty({
    type: ChannelRatesDto,
    description:
      "The number's own cap (PACING_SENDER_MMS_PER_SECOND, PACING_SENDER_SMS_PER_SECOND), on top of the account's.",
  })
  rates: ChannelRatesDto;
  @ApiProperty({
    example: 3,
    description: 'Messages the gateway holds (scheduled) to send from this number.',
  })
  backlog: number;
}

export class SenderListDto {
  @ApiProperty({
    type: [SenderDto],
    description:
      "The caller's pool in its configured order; for an admin key, every named pool (in SENDER_NUMBERS order), then PLIVO_SENDER_NUMBER.",
  })
  items: SenderDto[];
  @ApiProperty({
    type: ChannelRatesDto,
    description:
      "The account's caps, shared by every number (PACING_ACCOUNT_MMS_PER_SECOND, PACING_ACCOUNT_SMS_PER_SECOND).",
  })
  accountRates: ChannelRatesDto;
}
