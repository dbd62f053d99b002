/**
 * Review of issue #22 (campaigns): defects found by trying to break pause/resume and validity.
 * Campaign messages written as creation writes them (test/support/campaigns.ts), the controls
 * through the real HTTP API, then the real dispatcher, campaign monitor and Plivo simulator.
 */
import request from 'supertest';
import { Campaign } from '../../src/mms/campaigns/campaign.schema';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { recipients, seedCampaign } from '../support/campaigns';
import { eventually } from '../support/eventually';
import { createTestApp, TestApp } from '../support/test-app';

describe('campaigns under review (e2e)', () => {
  let t: TestApp;
  const campaigns = () => t.db.model<Campaign>(Campaign.name).collection;
  const logs = () => t.db.model<MessageLog>(MessageLog.name).collection;
  const dstOf = (body: unknown) => (body as { dst?: string }).dst;

  beforeAll(async () => {
    t = await createTestApp({
      DISPATCH_POLL_MS: '50',
      DISPATCH_LEASE_MS: '3000',
      CAMPAIGN_MONITOR_INTERVAL_MS: '100',
      PACING_ACCOUNT_MMS_PER_SECOND: '20',
    });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  it('a resume soon after a dispatcher saw the campaign paused: every message is still sent (none left held with no due time)', async () => {
    // A pause whose write stopped half-way (the dispatcher must hold it): the dispatcher claims
    // each, reads the campaign `paused` (cached for up to CAMPAIGN_STATE_TTL_MS), drops it.
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'paused',
    });
    await eventually(
      () =>
        logs().countDocuments({
          _id: { $in: messageIds },
          status: 'scheduled',
          dispatchDueAt: { $exists: false },
        }),
      (n) => n === 3,
      'the three dropped from the queue',
    );
    // The client resumes right away (well within a second).
    const resumed = await request(t.baseUrl).post(`/campaigns/${id.toHexString()}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    const sent = await eventually(
      async () => t.plivo.sentMessages,
      (list) => list.length === 3,
      'the three sent after the resume',
      8000,
    );
    expect(sent.map((r) => dstOf(r.body)).sort()).toEqual(recipients(3));
  }, 20_000);

  it('validUntil passing while paused: the held messages become expired (docs/dispatch.md "Expiry") and the campaign completes', async () => {
    const validUntil = new Date(Date.now() + 1500);
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'paused',
      due: false,
      validUntil,
    });
    await eventually(
      () => logs().countDocuments({ _id: { $in: messageIds }, status: 'expired' }),
      (n) => n === 3,
      'the three expired after their validUntil',
      8000,
      200,
    );
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.status === 'completed',
      'the campaign completed',
    );
    expect(t.plivo.sentMessages).toHaveLength(0);
  }, 20_000);
});
