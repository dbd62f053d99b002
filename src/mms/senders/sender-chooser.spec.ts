import { ForbiddenException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { SendersConfig } from '../../config/senders.config';
import { MetricsService } from '../../metrics/metrics.service';
import { Channel, Pacer } from '../pacing/pacer';
import { SenderActivityRepository } from './sender-activity.repository';
import { SenderChooser } from './sender-chooser';
import { areaCodeOf } from './sender-choice';

const A = '+12125550101'; // area code 212
const B = '+13105550102'; // area code 310
const C = '+13105550103'; // area code 310
const DEFAULT = '+14155550100';

/** The chooser with a stubbed log (last exchange), pacer (per-number slots) and metrics. */
function setup(
  options: {
    pool?: string[];
    lastExchanged?: string;
    slots?: Record<string, number>;
    pacesSenders?: boolean;
  } = {},
) {
  const reads: string[] = [];
  const senders: SendersConfig = {
    pools: { team: options.pool ?? [A, B, C], solo: [DEFAULT.replace('0100', '0199')] },
    defaultPool: [DEFAULT],
    owners: {},
    inboundCallbackUrls: {},
    optOutScope: 'pool',
  };
  const activity = {
    lastExchanged: async (clientId: string, recipient: string, pool: string[]) => {
      reads.push(`lastExchanged ${clientId} ${recipient} ${pool.join('|')}`);
      return options.lastExchanged;
    },
  } as unknown as SenderActivityRepository;
  const pacer = {
    pacesSenders: () => options.pacesSenders ?? true,
    estimateEach: async (_channel: Channel, numbers: string[], at: Date) => {
      reads.push(`estimateEach ${numbers.join('|')}`);
      return numbers.map((n) => new Date(at.getTime() + (options.slots?.[n] ?? 0)));
    },
  } as unknown as Pacer;
  const counted: Record<string, string>[] = [];
  const metrics = { senderChoices: { inc: (l: Record<string, string>) => counted.push(l) } };
  const config = { get: () => senders } as unknown as ConfigService<AllConfig, true>;
  const chooser = new SenderChooser(activity, pacer, metrics as unknown as MetricsService, config);
  const choose = (recipient: string, extra: { clientId?: string; requested?: string } = {}) =>
    chooser.choose({
      clientId: extra.clientId ?? 'team',
      recipient,
      channel: 'mms',
      at: new Date(1_700_000_000_000),
      requested: extra.requested,
    });
  return { choose, reads, counted };
}

describe('SenderChooser', () => {
  it('a named number of the pool: requested, no read', async () => {
    const { choose, reads, counted } = setup({ lastExchanged: A });
    await expect(choose('+13105559999', { requested: C })).resolves.toEqual({
      sender: C,
      choice: 'requested',
    });
    expect(reads).toEqual([]);
    expect(counted).toEqual([{ sender: C, choice: 'requested' }]);
  });

  it('a named number outside the pool: 403 SENDER_NOT_ALLOWED, no read', async () => {
    const { choose, reads } = setup();
    const refused = await choose('+13105559999', { requested: DEFAULT }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenException);
    expect((refused as ForbiddenException).getResponse()).toMatchObject({
      code: 'SENDER_NOT_ALLOWED',
    });
    expect(reads).toEqual([]);
  });

  it('a pool of one number (a client SENDER_NUMBERS does not name: PLIVO_SENDER_NUMBER): only, no read at all', async () => {
    const { choose, reads } = setup({ lastExchanged: A });
    await expect(choose('+12125559999', { clientId: 'other' })).resolves.toEqual({
      sender: DEFAULT,
      choice: 'only',
    });
    expect(reads).toEqual([]);
  });

  it('sticky first: the number the recipient last exchanged messages with, even against the area code and the slots', async () => {
    const { choose, reads } = setup({ lastExchanged: C, slots: { [C]: 10_000 } });
    await expect(choose('+12125559999')).resolves.toEqual({ sender: C, choice: 'sticky' });
    expect(reads).toEqual([`lastExchanged team +12125559999 ${A}|${B}|${C}`]);
  });

  it('then the area code (NANP: the 3 digits after +1)', async () => {
    const { choose } = setup({ slots: { [A]: 5000 } });
    await expect(choose('+12125559999')).resolves.toEqual({ sender: A, choice: 'area-code' });
  });

  it('several numbers with the area code: the one free soonest among them', async () => {
    const { choose, reads } = setup({ slots: { [B]: 800, [C]: 200, [A]: 0 } });
    await expect(choose('+13105559999')).resolves.toEqual({ sender: C, choice: 'area-code' });
    expect(reads[1]).toBe(`estimateEach ${B}|${C}`);
  });

  it('then the number free soonest under the per-number pacing', async () => {
    const { choose } = setup({ slots: { [A]: 900, [B]: 300, [C]: 600 } });
    await expect(choose('+16175559999')).resolves.toEqual({ sender: B, choice: 'soonest' });
  });

  it('a recipient outside NANP has no area code: soonest', async () => {
    const { choose } = setup({ pool: ['+447700900001', '+447700900002'], slots: {} });
    const first = await choose('+447700900123');
    expect(first.choice).toBe('soonest');
  });

  it('ties (no per-number cap: no read; or all free now) go round-robin over the pool', async () => {
    const { choose, reads } = setup({ pacesSenders: false });
    const picked: string[] = [];
    for (let i = 0; i < 6; i++) picked.push((await choose(`+1617555000${i}`)).sender);
    expect(picked).toEqual([A, B, C, A, B, C]);
    expect(reads.filter((r) => r.startsWith('estimateEach'))).toEqual([]);
    const free = setup({ slots: {} });
    const spread = [];
    for (let i = 0; i < 4; i++) spread.push((await free.choose(`+1617555000${i}`)).sender);
    expect(spread).toEqual([A, B, C, A]);
  });

  it('a sticky number no longer in the pool is ignored', async () => {
    const { choose } = setup({ lastExchanged: DEFAULT, slots: { [A]: 100, [B]: 0, [C]: 50 } });
    await expect(choose('+16175559999')).resolves.toEqual({ sender: B, choice: 'soonest' });
  });
});

describe('areaCodeOf', () => {
  it('NANP numbers only', () => {
    expect([areaCodeOf('+12125550101'), areaCodeOf('+447700900001'), areaCodeOf('+1212')]).toEqual([
      '212',
      undefined,
      undefined,
    ]);
  });
});
