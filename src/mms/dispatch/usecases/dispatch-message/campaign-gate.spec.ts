import { Types } from 'mongoose';
import { CampaignState, CampaignStateReader } from '../../../campaigns/campaign-state';
import { ClaimedSend, DispatchQueueRepository } from '../../dispatch-queue.repository';
import { CampaignGate } from './campaign-gate';

/** The reader's cache says `cached`; the database (an uncached read) says `now`. */
function gateWith(cached: CampaignState['status'], now: CampaignState['status']) {
  const id = new Types.ObjectId();
  const state = (status: CampaignState['status']) => Promise.resolve({ id, status });
  const reader = { get: jest.fn(() => state(cached)), fresh: jest.fn(() => state(now)) };
  const queue = { drop: jest.fn(() => Promise.resolve(true)) };
  const gate = new CampaignGate(
    reader as unknown as CampaignStateReader,
    queue as unknown as DispatchQueueRepository,
  );
  const claim = { id: new Types.ObjectId(), token: 't', campaignId: id } as ClaimedSend;
  return { gate, claim, reader, queue };
}

describe('CampaignGate', () => {
  it('a cached `paused` is read again before the claim is dropped: resumed since, the message goes', async () => {
    const { gate, claim, reader, queue } = gateWith('paused', 'running');
    await expect(gate.admit(claim, Date.now() + 60_000)).resolves.toMatchObject({ go: true });
    expect(reader.fresh).toHaveBeenCalledTimes(1);
    expect(queue.drop).not.toHaveBeenCalled();
  });

  it('still paused when read again: dropped', async () => {
    const { gate, claim, queue } = gateWith('paused', 'paused');
    await expect(gate.admit(claim, Date.now() + 60_000)).resolves.toEqual({
      go: false,
      outcome: 'dropped',
    });
    expect(queue.drop).toHaveBeenCalledTimes(1);
  });

  it('running in the cache: no second read', async () => {
    const { gate, claim, reader } = gateWith('running', 'paused');
    await expect(gate.admit(claim, Date.now() + 60_000)).resolves.toMatchObject({ go: true });
    expect(reader.fresh).not.toHaveBeenCalled();
  });
});
