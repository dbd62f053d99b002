import { createHmac } from 'node:crypto';
import { PlivoSimulator } from './simulator';
import { StatusReceiver, verifyStatusCallbackSignature } from './status-receiver';

/**
 * The client endpoint the gateway's status callbacks go to. Signatures here are made by hand
 * (Stripe's scheme as the README states it), not by src/'s signer: the receiver is the oracle,
 * and test/unit/status-callback-signature.spec.ts checks it against the service's signer.
 */

const OLD_SECRET = 'old-secret-0123456789abcdef0123456789abcdef';
const NEW_SECRET = 'new-secret-fedcba9876543210fedcba9876543210';
const NOW = 1_750_000_000;

function sign(rawBody: string, secrets: string[], t: number): string {
  const v1 = secrets.map(
    (s) => `v1=${createHmac('sha256', s).update(`${t}.${rawBody}`).digest('hex')}`,
  );
  return [`t=${t}`, ...v1].join(',');
}

function event(sequence = 1, id = 'evt_0123456789abcdef01234567') {
  return JSON.stringify({
    id,
    type: 'message.status',
    messageId: 'msg-1',
    status: 'queued',
    previousStatus: null,
    errorCode: null,
    errorMessage: null,
    plivoMessageUuid: null,
    channel: 'mms',
    occurredAt: new Date().toISOString(),
    sequence,
  });
}

/** POSTs a callback signed now with `secrets`, as the gateway would. */
function post(url: string, rawBody: string, secrets: string[], init: RequestInit = {}) {
  const eventId = (JSON.parse(rawBody) as { id: string }).id;
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Mms-Event-Id': eventId,
      'X-Mms-Signature': sign(rawBody, secrets, Math.floor(Date.now() / 1000)),
    },
    body: rawBody,
    ...init,
  });
}

async function until<T>(value: () => T, timeoutMs = 2000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = value();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('verifyStatusCallbackSignature', () => {
  const body = event();

  it('accepts a signature made now with the secret, and within the tolerance either way', () => {
    expect(
      verifyStatusCallbackSignature(sign(body, [NEW_SECRET], NOW), body, [NEW_SECRET], 300, NOW),
    ).toBe(true);
    for (const skew of [-300, 300])
      expect(
        verifyStatusCallbackSignature(
          sign(body, [NEW_SECRET], NOW + skew),
          body,
          [NEW_SECRET],
          300,
          NOW,
        ),
      ).toBe(true);
  });

  it('refuses a tampered body, a wrong secret, no secret and a missing header', () => {
    const header = sign(body, [NEW_SECRET], NOW);
    expect(
      verifyStatusCallbackSignature(
        header,
        body.replace('queued', 'delivered'),
        [NEW_SECRET],
        300,
        NOW,
      ),
    ).toBe(false);
    expect(verifyStatusCallbackSignature(header, `${body} `, [NEW_SECRET], 300, NOW)).toBe(false);
    expect(verifyStatusCallbackSignature(header, body, [OLD_SECRET], 300, NOW)).toBe(false);
    expect(verifyStatusCallbackSignature(header, body, [], 300, NOW)).toBe(false);
    expect(verifyStatusCallbackSignature(undefined, body, [NEW_SECRET], 300, NOW)).toBe(false);
    expect(verifyStatusCallbackSignature('', body, [NEW_SECRET], 300, NOW)).toBe(false);
  });

  it('refuses a timestamp more than the tolerance away, and a timestamp swapped into a valid header', () => {
    expect(
      verifyStatusCallbackSignature(
        sign(body, [NEW_SECRET], NOW - 301),
        body,
        [NEW_SECRET],
        300,
        NOW,
      ),
    ).toBe(false);
    expect(
      verifyStatusCallbackSignature(
        sign(body, [NEW_SECRET], NOW + 301),
        body,
        [NEW_SECRET],
        300,
        NOW,
      ),
    ).toBe(false);
    expect(
      verifyStatusCallbackSignature(
        sign(body, [NEW_SECRET], NOW - 3600),
        body,
        [NEW_SECRET],
        7200,
        NOW,
      ),
    ).toBe(true);
    // A replay with a fresh t but the old signature: the timestamp is signed with the body.
    const old = sign(body, [NEW_SECRET], NOW - 3600);
    expect(
      verifyStatusCallbackSignature(
        old.replace(`t=${NOW - 3600}`, `t=${NOW}`),
        body,
        [NEW_SECRET],
        300,
        NOW,
      ),
    ).toBe(false);
  });

  it('refuses malformed headers', () => {
    const v1 = sign(body, [NEW_SECRET], NOW).split(',')[1];
    for (const header of [
      v1, // no t
      `t=${NOW}`, // no v1
      `t=abc,${v1}`,
      `t=${NOW}.5,${v1}`,
      `t=${NOW},t=${NOW},${v1}`, // two timestamps
      `t=${NOW},v1=${v1.slice(3, 40)}`, // truncated hex
      `t=${NOW},v1=${v1.slice(3).replace(/./, 'z')}`, // not hex
      `t=${NOW},v0=${v1.slice(3)}`, // another scheme
      'garbage',
    ])
      expect(verifyStatusCallbackSignature(header, body, [NEW_SECRET], 300, NOW)).toBe(false);
    // Spaces after commas and upper-case hex are still the same signature.
    expect(
      verifyStatusCallbackSignature(
        `t=${NOW}, ${v1.toUpperCase().replace('V1', 'v1')}`,
        body,
        [NEW_SECRET],
        300,
        NOW,
      ),
    ).toBe(true);
  });

  it('rotation: a header with two v1 is accepted by a client knowing either secret only', () => {
    const header = sign(body, [NEW_SECRET, OLD_SECRET], NOW);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyStatusCallbackSignature(header, body, [NEW_SECRET], 300, NOW)).toBe(true);
    expect(verifyStatusCallbackSignature(header, body, [OLD_SECRET], 300, NOW)).toBe(true);
    expect(
      verifyStatusCallbackSignature(header, body, ['a-third-secret-0000000000000000000'], 300, NOW),
    ).toBe(false);
    // A client that already knows both accepts a header signed with the new one only.
    expect(
      verifyStatusCallbackSignature(
        sign(body, [NEW_SECRET], NOW),
        body,
        [OLD_SECRET, NEW_SECRET],
        300,
        NOW,
      ),
    ).toBe(true);
  });
});

describe('StatusReceiver (standalone)', () => {
  const receiver = new StatusReceiver({ secrets: [NEW_SECRET] });
  let url: string;
  beforeAll(async () => (url = `${await receiver.listen()}/hooks/status`));
  afterEach(() => receiver.reset());
  afterAll(() => receiver.close());

  it('records each request with its path, event id, parsed body and verdict, and answers 200', async () => {
    const body = event();
    const res = await post(`${url}?client=a`, body, [OLD_SECRET, NEW_SECRET]);
    expect(res.status).toBe(200);
    await post(url, event(2), [OLD_SECRET]); // signed with a secret the receiver does not know
    const [first, second] = receiver.received();
    expect(first).toMatchObject({
      path: '/hooks/status?client=a',
      rawBody: body,
      body: JSON.parse(body),
      eventId: 'evt_0123456789abcdef01234567',
      signatureValid: true,
      answered: 200,
    });
    expect(first.at).toBeInstanceOf(Date);
    expect(first.headers['content-type']).toBe('application/json');
    expect(second).toMatchObject({ signatureValid: false, answered: 200 });
    expect(receiver.accepted()).toHaveLength(2);
  });

  it('a body that is not JSON is kept raw, with body undefined', async () => {
    await fetch(url, { method: 'POST', body: 'not json' });
    expect(receiver.received()[0]).toMatchObject({
      rawBody: 'not json',
      body: undefined,
      eventId: undefined,
      signatureValid: false,
    });
  });

  it('failNext(count, status) answers that status count times, then 200 again; 500 by default', async () => {
    receiver.failNext(2, 503);
    receiver.failNext(1);
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) statuses.push((await post(url, event(i), [NEW_SECRET])).status);
    expect(statuses).toEqual([503, 503, 500, 200, 200]);
    expect(receiver.received().map((c) => c.answered)).toEqual(statuses);
    expect(receiver.accepted().map((c) => (c.body as { sequence: number }).sequence)).toEqual([
      4, 5,
    ]);
  });

  it('answer(status) holds until answer(200) or reset(), and failNext goes first', async () => {
    receiver.answer(410);
    receiver.failNext(1, 502);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(url, event(), [NEW_SECRET])).status);
    receiver.answer(200);
    statuses.push((await post(url, event(), [NEW_SECRET])).status);
    receiver.answer(500);
    receiver.reset();
    statuses.push((await post(url, event(), [NEW_SECRET])).status);
    expect(statuses).toEqual([502, 410, 410, 200, 200]);
    expect(receiver.received()).toHaveLength(1); // reset() forgot the first four
  });

  it('maxConcurrent counts the requests for one event id in progress together', async () => {
    receiver.delay(150);
    const started = Date.now();
    await Promise.all([
      post(url, event(1, 'evt_a'), [NEW_SECRET]),
      post(url, event(2, 'evt_b'), [NEW_SECRET]),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140); // the answers were held
    await post(url, event(1, 'evt_a'), [NEW_SECRET]);
    expect(receiver.maxConcurrent()).toBe(1); // two events at once, or one event twice in a row

    const same = [1, 2, 3].map(() => post(url, event(1, 'evt_c'), [NEW_SECRET]));
    expect((await Promise.all(same)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(receiver.maxConcurrent()).toBe(3);
    receiver.reset();
    expect(receiver.maxConcurrent()).toBe(0);
  });

  it("records 'timeout' when the client gives up before the held answer", async () => {
    receiver.delay(2000);
    const aborted = post(url, event(), [NEW_SECRET], { signal: AbortSignal.timeout(50) });
    await expect(aborted).rejects.toThrow();
    const callback = await until(() => receiver.received()[0]);
    expect(callback.answered).toBe('timeout');
    expect(receiver.accepted()).toEqual([]);
  });
});

describe('PlivoSimulator /client-callbacks', () => {
  const sim = new PlivoSimulator({
    authId: 'MASIMULATOR000000001',
    authToken: 'sim_auth_token_0123456789',
    statusCallbackSecrets: [NEW_SECRET],
  });
  let base: string;
  beforeAll(async () => (base = await sim.start()));
  afterEach(() => sim.reset());
  afterAll(() => sim.stop());

  const list = async () =>
    (await (await fetch(`${base}/client-callbacks`)).json()) as {
      callbacks: {
        path: string;
        eventId: string;
        signatureValid: boolean;
        answered: number;
        body: unknown;
      }[];
      failNext: number[];
    };
  const control = (route: string, body?: unknown) =>
    fetch(`${base}/client-callbacks/${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('POST /client-callbacks/<any> goes to sim.statusReceiver; GET /client-callbacks lists it', async () => {
    const body = event();
    expect((await post(`${base}/client-callbacks/demo`, body, [NEW_SECRET])).status).toBe(200);
    expect(sim.statusReceiver.accepted()).toHaveLength(1);
    expect(sim.requests).toEqual([]); // not a Plivo API request
    const listed = await list();
    expect(listed.callbacks).toEqual([
      {
        at: expect.any(String),
        path: '/client-callbacks/demo',
        eventId: 'evt_0123456789abcdef01234567',
        signatureValid: true,
        answered: 200,
        body: JSON.parse(body),
      },
    ]);
  });

  it('POST /client-callbacks/_fail {count, status} fails the next requests; _reset forgets everything', async () => {
    expect((await control('_fail', { count: 2, status: 503 })).status).toBe(200);
    expect((await list()).failNext).toEqual([503, 503]);
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++)
      statuses.push((await post(`${base}/client-callbacks/demo`, event(i), [NEW_SECRET])).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect((await list()).callbacks.map((c) => c.answered)).toEqual([503, 503, 200]);

    await control('_fail', {});
    expect((await list()).failNext).toEqual([500]); // one 500 by default
    expect((await control('_reset')).status).toBe(200);
    expect(await list()).toMatchObject({ callbacks: [], failNext: [] });
  });

  it('refuses a bad _fail body and wrong methods on the control routes', async () => {
    for (const body of [{ count: -1 }, { status: 42 }, { count: 'two' }, 'not an object'])
      expect((await control('_fail', body)).status).toBe(400);
    expect((await fetch(`${base}/client-callbacks/_reset`)).status).toBe(405);
    expect((await fetch(`${base}/client-callbacks`, { method: 'POST', body: '{}' })).status).toBe(
      405,
    );
    expect((await list()).failNext).toEqual([]);
  });

  it('sim.reset() resets the receiver; without secrets every signature is invalid', async () => {
    await post(`${base}/client-callbacks/x`, event(), [NEW_SECRET]);
    sim.statusReceiver.failNext(1);
    sim.reset();
    expect(sim.statusReceiver.received()).toEqual([]);
    expect((await post(`${base}/client-callbacks/x`, event(), [NEW_SECRET])).status).toBe(200);

    const bare = new PlivoSimulator({ authId: 'MASIMULATOR000000001', authToken: 't' });
    const bareUrl = await bare.start();
    try {
      await post(`${bareUrl}/client-callbacks/x`, event(), [NEW_SECRET]);
      expect(bare.statusReceiver.received()[0]).toMatchObject({
        signatureValid: false,
        answered: 200,
      });
    } finally {
      await bare.stop();
    }
  });
});
