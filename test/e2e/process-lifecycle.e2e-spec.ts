import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { freePort } from '../../sandbox/embedded-database';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';
import { postSigned } from '../support/plivo-signing';
import {
  productionEnv as sharedProductionEnv,
  spawnService,
  SpawnedService,
  testDatabaseUri,
} from '../support/spawned-service';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';

const AUTH_ID = 'MAPROCESSTEST0000000';
const API_KEY = 'process-test-key-0123456789';
const SECRET_TEXT = 'the-secret-message-text-42';
const PHONE = '+14157654321';

/** The service as it runs in production, logging at debug, with a short shutdown delay. */
async function productionEnv(
  plivo: PlivoSimulator,
  token: string,
  extra: Record<string, string> = {},
) {
  return sharedProductionEnv(
    {
      mongodbUri: testDatabaseUri('proc'),
      plivo: { baseUrl: plivo.baseUrl, authId: AUTH_ID, authToken: token },
      apiKeys: API_KEY,
    },
    { LOG_LEVEL: 'debug', SHUTDOWN_DELAY_MS: '700', ...extra },
  );
}

describe('the service as a process (spawned, production mode)', () => {
  let plivo: PlivoSimulator;
  let token: string;
  let service: SpawnedService | undefined;

  beforeAll(async () => {
    token = randomBytes(16).toString('hex');
    plivo = new PlivoSimulator({
      authId: AUTH_ID,
      authToken: token,
      callbackDelayMs: 20,
      callbackRetryDelaysMs: [],
    });
    await plivo.start();
  });
  afterEach(() => service?.kill());
  afterAll(async () => plivo.stop());

  it('SIGTERM during a slow send: readiness 503 at once, the in-flight send finishes 202, new connections are refused after the drain, exit 0', async () => {
    service = await spawnService(await productionEnv(plivo, token));
    await service.waitForOutput(/listening on port/);
    await request(service.baseUrl).get('/health/ready').expect(200);

    plivo.failNext({ delayMs: 2500 });
    const inFlight = request(service.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', API_KEY)
      .send({
        destinationNumber: PHONE,
        messageText: 'slow one',
        mediaUrl: 'https://m.example.com/a.gif',
      })
      .then((r) => r);
    await plivo.waitFor((sim) => sim.requests.length === 1, 5000);

    service.child.kill('SIGTERM');
    await service.waitForOutput(/readiness is now 503/);
    const ready = await request(service.baseUrl).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.lifecycle).toEqual({ status: 'down', message: 'shutting down' });

    // After SHUTDOWN_DELAY_MS the listener is closed: new connections are refused.
    await new Promise((r) => setTimeout(r, 1000));
    await expect(request(service.baseUrl).get('/health/live')).rejects.toThrow(/ECONNREFUSED/);

    const sent = await inFlight;
    expect(sent.status).toBe(202);
    expect(await service.exited).toBe(0);
    expect(service.output()).toMatch(/Shut down cleanly/);
  }, 60000);

  it('SIGTERM after the client hung up mid-send: the handler still finishes and records Plivo’s answer before MongoDB closes', async () => {
    const env = await productionEnv(plivo, token);
    service = await spawnService(env);
    await service.waitForOutput(/listening on port/);
    plivo.failNext({ delayMs: 2000 });
    const aborted = request(service.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', API_KEY)
      .timeout(500)
      .send({
        destinationNumber: PHONE,
        messageText: 'abandoned by its client',
        mediaUrl: 'https://m.example.com/a.gif',
      });
    await expect(aborted).rejects.toThrow(/Timeout/);
    await plivo.waitFor((sim) => sim.requests.length > 0, 5000);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);

    const db = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    try {
      const log = await db.collection('message_logs').findOne({ text: 'abandoned by its client' });
      // The simulator's callbacks (matched by ref) may already have moved it on; what only the
      // finished handler writes is Plivo's UUID from the send response.
      expect(['queued', 'sent', 'delivered']).toContain(log?.status);
      expect(log?.plivoMessageUuid).toBe(plivo.sentMessages.at(-1)?.messageUuid);
    } finally {
      await db.close();
    }
  }, 60000);

  it('with MongoDB unreachable at boot it exits non-zero within 30 s with a clear message', async () => {
    const closedPort = await freePort();
    const started = Date.now();
    service = await spawnService(
      await productionEnv(plivo, token, {
        MONGODB_URI: `mongodb://127.0.0.1:${closedPort}/nowhere`,
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '2000',
      }),
    );
    const code = await service.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30000);
    expect(service.output()).toMatch(/Failed to start: .*(ECONNREFUSED|connect)/);
  }, 40000);

  it('refuses to start in production without API_KEYS, naming the variable', async () => {
    const env = await productionEnv(plivo, token);
    service = await spawnService({ ...env, API_KEYS: '' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/API_KEYS not set\..*never without API keys/);
  }, 40000);

  it('refuses to start with a bad variable, naming it', async () => {
    service = await spawnService(
      await productionEnv(plivo, token, { PLIVO_SENDER_NUMBER: '555-0100' }),
    );
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/PLIVO_SENDER_NUMBER: .*E\.164/);
  }, 40000);

  it('logs carry no token, API key, signature, full phone number or message text', async () => {
    service = await spawnService(await productionEnv(plivo, token));
    await service.waitForOutput(/listening on port/);
    const sent = await request(service.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', API_KEY)
      .set('Authorization', `Bearer ${API_KEY}`)
      .send({
        destinationNumber: PHONE,
        messageText: SECRET_TEXT,
        mediaUrl: 'https://m.example.com/a.gif',
      })
      .expect(202);
    await request(service.baseUrl)
      .get('/messages')
      .set('X-API-Key', 'wrong-key-wrong-key')
      .expect(401);
    // Plivo's own signed callbacks, plus a forged one and a failed send, all get logged.
    await plivo.waitFor((sim) => sim.callbacks.length >= 3, 5000);
    await postSigned(
      service.baseUrl,
      PLIVO_WEBHOOK_ROUTES.status,
      { MessageUUID: 'x', Status: 'sent', To: PHONE.slice(1) },
      { token: 'forged' },
    ).expect(403);
    plivo.failNext({ status: 400, body: { api_id: 'a', error: `invalid destination ${PHONE}` } });
    await request(service.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', API_KEY)
      .send({
        destinationNumber: PHONE,
        messageText: SECRET_TEXT,
        mediaUrl: 'https://m.example.com/a.gif',
      })
      .expect(400);
    await new Promise((r) => setTimeout(r, 300));

    const logs = service.output();
    expect(sent.body.messageId).toMatch(/^[0-9a-f]{24}$/);
    // The request lines are there (so the capture is real), with their ids and statuses.
    // A client route's line names the client by its id (a bare key: a digest of it), never its key.
    expect(logs).toMatch(
      /"path":"\/send-mms"\},"clientId":"key-[0-9a-f]{12}","res":\{"statusCode":202\}/,
    );
    expect(logs).toMatch(/"path":"\/messages"\},"res":\{"statusCode":401\}/);
    expect(logs).toContain(`"path":"${PLIVO_WEBHOOK_ROUTES.status}"`);
    for (const secret of [token, API_KEY, SECRET_TEXT, PHONE, PHONE.slice(1)])
      expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/X-Plivo-Signature-V3":"[A-Za-z0-9+/=]{20,}/i);
    expect(logs).toContain('*4321');
  }, 60000);
});
