/**
 * The bench's two baselines (bench/bare-baseline.ts, bench/lean-baseline/), started as
 * `npm run bench` starts them (transpiled into a temp dir, their own process), against the run's
 * database and the Plivo simulator: a comparison is only fair if they do the work they claim.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startBaseline, type Baseline } from '../../bench/processes';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';

const AUTH_ID = 'MABASELINE0000000000';
const SENDER = '+14155550100';
const API_KEY = 'baseline-test-key';
const GOOD = {
  destinationNumber: '+14157650001',
  messageText: 'Your order has shipped.',
  mediaUrl: 'https://media.example.com/a.gif',
};

describe('the bench baselines', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-baselines-'));
  const plivo = new PlivoSimulator({
    authId: AUTH_ID,
    authToken: 'tok',
    callbackDelayMs: 3_600_000,
  });
  const uri = new URL(process.env.TEST_MONGODB_SERVER ?? 'mongodb://unset');
  uri.pathname = `/bench_baselines_${process.pid}`;
  let client: mongoose.mongo.MongoClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = {
      PLIVO_API_URL: await plivo.start(),
      PLIVO_AUTH_ID: AUTH_ID,
      PLIVO_AUTH_TOKEN: 'tok',
      PLIVO_SENDER_NUMBER: SENDER,
    };
    client = await mongoose.mongo.MongoClient.connect(uri.toString());
  });

  afterAll(async () => {
    await client?.db().dropDatabase();
    await client?.close();
    await plivo.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const post = (baseline: Baseline, path: string, body: unknown, key = API_KEY) =>
    fetch(`${baseline.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(body),
    });

  describe('same-stack (bench/lean-baseline/)', () => {
    let lean: Baseline;
    const logs = () => client.db().collection('bench_lean_logs');

    beforeAll(async () => {
      lean = await startBaseline(
        'lean',
        {
          ...env,
          LEAN_MONGODB_URI: uri.toString(),
          API_KEYS: `bench:${API_KEY}`,
          THROTTLE_LIMIT: '1000',
          LOG_LEVEL: 'warn',
        },
        workDir,
      );
    });

    afterAll(() => lean?.stop());

    it('answers 202 after logging the send pending, calling Plivo, and moving the log to queued', async () => {
      plivo.reset();
      const res = await post(lean, '/send-mms', GOOD);
      expect(res.status).toBe(202);
      const body = (await res.json()) as {
        messageId: string;
        plivoResponse: { messageUuid: string[] };
      };
      const doc = await logs().findOne({ _id: new mongoose.Types.ObjectId(body.messageId) });
      expect(doc).toMatchObject({
        recipient: GOOD.destinationNumber,
        text: GOOD.messageText,
        mediaUrls: [GOOD.mediaUrl],
        status: 'queued',
        plivoMessageUuid: body.plivoResponse.messageUuid[0],
        statusHistory: [{ status: 'pending' }, { status: 'queued' }],
      });
      expect(plivo.requests.map((r) => [r.body, r.messageUuid])).toEqual([
        [
          expect.objectContaining({ src: SENDER, dst: GOOD.destinationNumber, type: 'mms' }),
          body.plivoResponse.messageUuid[0],
        ],
      ]);
    });

    it.each([
      ['a number that is not E.164', { ...GOOD, destinationNumber: '4157650001' }],
      ['a media URL that is not a URL', { ...GOOD, mediaUrl: 'not a url' }],
      ['no text', { ...GOOD, messageText: '' }],
      ['an unknown field', { ...GOOD, extra: 1 }],
    ])('answers 400 to %s, and neither logs nor sends it', async (_name, body) => {
      plivo.reset();
      const before = await logs().countDocuments();
      const res = await post(lean, '/send-mms', body);
      expect(res.status).toBe(400);
      expect(await logs().countDocuments()).toBe(before);
      expect(plivo.requests).toHaveLength(0);
    });

    it('answers 401 without a known API key', async () => {
      expect((await post(lean, '/send-mms', GOOD, 'wrong')).status).toBe(401);
    });
  });

  describe('bare (bench/bare-baseline.ts)', () => {
    it('answers 202 and leaves its log queued', async () => {
      const bare = await startBaseline(
        'bare',
        { ...env, BARE_MONGODB_URI: uri.toString() },
        workDir,
      );
      try {
        const res = await post(bare, '/send', GOOD);
        expect(res.status).toBe(202);
        const { messageId } = (await res.json()) as { messageId: string };
        const doc = await client
          .db()
          .collection('bench_baseline_logs')
          .findOne({ _id: new mongoose.Types.ObjectId(messageId) });
        expect(doc).toMatchObject({ status: 'queued', recipient: GOOD.destinationNumber });
      } finally {
        await bare.stop();
      }
    });
  });
});
