/**
 * Each client sees only its own messages: two clients and an admin over HTTP, reads by id and
 * by list (filters and cursors included), inbound visibility, idempotency keys per client, and
 * client ids (never keys) in the log and the metrics.
 */
import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const KEY_A = 'team-a-key-0123456789abcdef';
const KEY_B = 'team-b-key-0123456789abcdef';
const BARE_KEY = 'a-bare-key-without-a-name-0123';
const ADMIN_KEY = 'ops-admin-key-0123456789abcdef';
const OTHER_NUMBER = '+14155550199';

describe('clients: each API key reads only its own messages (e2e)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);
  const as = (key: string) => ({ 'X-API-Key': key });

  beforeAll(async () => {
    t = await createTestApp({
      API_KEYS: `team-a:${KEY_A},team-b:${KEY_B},${BARE_KEY}`,
      ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
      INBOUND_CLIENTS: `${TEST_SENDER}:team-a`,
    });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  async function send(key: string, to = '+14157654321', extra: Record<string, string> = {}) {
    const res = await request(t.baseUrl)
      .post('/send-mms')
      .set({ ...as(key), ...extra })
      .send({ destinationNumber: to, messageText: 'hi', mediaUrl: 'https://m.example.com/a.png' })
      .expect(202);
    return res.body.messageId as string;
  }

  async function listAll(key: string, query = ''): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `?limit=1${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await request(t.baseUrl).get(`/messages${qs}`).set(as(key)).expect(200);
      ids.push(...res.body.items.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids.sort();
  }

  it('GET /messages/:id: another client gets 404 exactly as for a missing message; the owner and the admin get 200', async () => {
    const a = await send(KEY_A);
    const missing = '665f1c2e9d3b4a0012345678';
    const foreign = await request(t.baseUrl).get(`/messages/${a}`).set(as(KEY_B)).expect(404);
    const absent = await request(t.baseUrl).get(`/messages/${missing}`).set(as(KEY_B)).expect(404);
    const shape = (body: Record<string, unknown>, id: string) => ({
      ...body,
      message: String(body.message).replace(id, '<id>'),
      requestId: '<id>',
    });
    expect(shape(foreign.body, a)).toEqual(shape(absent.body, missing));
    expect(foreign.body.code).toBe('MESSAGE_NOT_FOUND');
    await request(t.baseUrl).get(`/messages/${a}`).set(as(BARE_KEY)).expect(404);
    const own = await request(t.baseUrl).get(`/messages/${a}`).set(as(KEY_A)).expect(200);
    expect(own.body.clientId).toBe('team-a');
    await request(t.baseUrl).get(`/messages/${a}`).set(as(ADMIN_KEY)).expect(200);
  });

  it('GET /messages lists only the caller’s, page after page and under every filter; the admin lists all', async () => {
    const a1 = await send(KEY_A, '+14157654321');
    const a2 = await send(KEY_A, '+14157650002');
    const b1 = await send(KEY_B, '+14157654321');
    const bare = await send(BARE_KEY, '+14157654321');

    expect(await listAll(KEY_A)).toEqual([a1, a2].sort());
    expect(await listAll(KEY_B)).toEqual([b1]);
    expect(await listAll(BARE_KEY)).toEqual([bare]);
    expect(await listAll(ADMIN_KEY)).toEqual([a1, a2, b1, bare].sort());
    // Filters narrow the caller's own messages; they never widen them.
    expect(await listAll(KEY_B, '&recipient=%2B14157654321')).toEqual([b1]);
    expect(await listAll(KEY_A, '&recipient=%2B14157654321')).toEqual([a1]);
    expect(await listAll(KEY_B, '&direction=outbound')).toEqual([b1]);
    await t.plivo.waitFor(() => t.plivo.sentMessages.length === 4);
    const statuses = ['pending', 'queued', 'sent', 'delivered'];
    const bStatuses = await Promise.all(statuses.map((s) => listAll(KEY_B, `&status=${s}`)));
    expect(bStatuses.flat()).toEqual([b1]);
  });

  it('a cursor from another client’s page is only a position: it pages through the caller’s own older messages', async () => {
    // Ids increase in send order: B's two messages are older than A's page, B's last is newer.
    const bOld1 = await send(KEY_B);
    const bOld2 = await send(KEY_B);
    const a1 = await send(KEY_A);
    const a2 = await send(KEY_A);
    const bNew = await send(KEY_B);
    const ids = (res: request.Response) => res.body.items.map((m: { id: string }) => m.id);

    const page = await request(t.baseUrl).get('/messages?limit=1').set(as(KEY_A)).expect(200);
    expect(ids(page)).toEqual([a2]);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const cursor = page.body.nextCursor as string;

    // Exactly B's messages older than A's a2, newest first: not a1, not B's newer bNew.
    const next = await request(t.baseUrl)
      .get(`/messages?cursor=${cursor}`)
      .set(as(KEY_B))
      .expect(200);
    expect(ids(next)).toEqual([bOld2, bOld1]);
    expect(next.body.nextCursor).toBeNull();
    // The same position, for the owner and for an admin (so the cursor did point before a1).
    const own = await request(t.baseUrl).get(`/messages?cursor=${cursor}`).set(as(KEY_A));
    expect(ids(own)).toEqual([a1]);
    const admin = await request(t.baseUrl).get(`/messages?cursor=${cursor}`).set(as(ADMIN_KEY));
    expect(ids(admin)).toEqual([a1, bOld2, bOld1]);
    // And a bare-key client with no messages that old gets an empty last page, not A's or B's.
    const bare = await request(t.baseUrl).get(`/messages?cursor=${cursor}`).set(as(BARE_KEY));
    expect(bare.body).toEqual({ items: [], nextCursor: null });
    // bNew is B's, and left out above only because it is newer than the cursor.
    expect(await listAll(KEY_B)).toEqual([bOld1, bOld2, bNew].sort());
  });

  it('stores the client id, never the key; a bare key gets a short digest as its id', async () => {
    await send(KEY_A);
    const bare = await send(BARE_KEY);
    const docs = await logs().find().lean();
    expect(docs.map((d) => d.clientId).sort()).toEqual(
      ['team-a', expect.stringMatching(/^key-[0-9a-f]{12}$/)].sort(),
    );
    const raw = JSON.stringify(docs);
    for (const key of [KEY_A, BARE_KEY]) expect(raw).not.toContain(key);
    const bareDoc = docs.find((d) => d._id.toHexString() === bare)!;
    expect(BARE_KEY).not.toContain(bareDoc.clientId!.slice(4));
  });

  it('inbound messages: readable by the client INBOUND_CLIENTS names for the number, and by admins', async () => {
    const inbound = (to: string, uuid: string) =>
      postSigned(
        t.baseUrl,
        PLIVO_WEBHOOK_ROUTES.inbound,
        { MessageUUID: uuid, From: '14157654321', To: to.slice(1), Type: 'sms', Text: 'STOP' },
        { token: t.authToken },
      ).expect(200);
    await inbound(TEST_SENDER, '7a1d0c52-0001-11ef-9b3b-0242ac110002');
    await inbound(OTHER_NUMBER, '7a1d0c52-0002-11ef-9b3b-0242ac110002');
    const ours = await logs()
      .findOne({ plivoMessageUuid: '7a1d0c52-0001-11ef-9b3b-0242ac110002' })
      .lean();
    const other = await logs()
      .findOne({ plivoMessageUuid: '7a1d0c52-0002-11ef-9b3b-0242ac110002' })
      .lean();
    expect(ours?.clientId).toBe('team-a');
    expect(other?.clientId).toBeUndefined();
    const q = '&direction=inbound';
    expect(await listAll(KEY_A, q)).toEqual([ours!._id.toHexString()]);
    expect(await listAll(KEY_B, q)).toEqual([]);
    expect(await listAll(ADMIN_KEY, q)).toEqual(
      [ours!._id.toHexString(), other!._id.toHexString()].sort(),
    );
    await request(t.baseUrl).get(`/messages/${other!._id}`).set(as(KEY_A)).expect(404);
    await request(t.baseUrl).get(`/messages/${other!._id}`).set(as(ADMIN_KEY)).expect(200);
  });

  it('the same Idempotency-Key from two clients is two requests, and two messages', async () => {
    const a = await send(KEY_A, '+14157654321', { 'Idempotency-Key': 'order-1' });
    const b = await send(KEY_B, '+14157654321', { 'Idempotency-Key': 'order-1' });
    expect(a).not.toBe(b);
    const again = await request(t.baseUrl)
      .post('/send-mms')
      .set({ ...as(KEY_A), 'Idempotency-Key': 'order-1' })
      .send({
        destinationNumber: '+14157654321',
        messageText: 'hi',
        mediaUrl: 'https://m.example.com/a.png',
      })
      .expect(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.messageId).toBe(a);
    expect(t.plivo.sentMessages).toHaveLength(2);
  });

  it('metrics label sends by client id, never by key', async () => {
    await send(KEY_A);
    await send(BARE_KEY);
    const metrics = (await request(t.baseUrl).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/mms_messages_total\{[^}]*client="team-a"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/mms_messages_total\{[^}]*client="key-[0-9a-f]{12}"[^}]*\} [1-9]/);
    for (const key of [KEY_A, BARE_KEY]) expect(metrics).not.toContain(key);
  });
});

describe('without API_KEYS: the open caller (e2e)', () => {
  const optOut = `/opt-outs/${TEST_SENDER}/+14157654321`;

  it('is no admin unless the sandbox says so: a keyless DELETE /opt-outs is 403, and the inbound and unowned messages are not listed', async () => {
    const t = await createTestApp({}, {}, { openAccessAdmin: false });
    try {
      const res = await request(t.baseUrl).delete(optOut).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, code: 'ADMIN_KEY_REQUIRED' });
      await request(t.baseUrl).get('/opt-outs').expect(403);
      await postSigned(
        t.baseUrl,
        PLIVO_WEBHOOK_ROUTES.inbound,
        {
          MessageUUID: '7a1d0c52-0003-11ef-9b3b-0242ac110002',
          From: '14157654321',
          To: TEST_SENDER.slice(1),
          Type: 'sms',
          Text: 'hi',
        },
        { token: t.authToken },
      ).expect(200);
      expect(await t.db.model(MessageLog.name).countDocuments({ direction: 'inbound' })).toBe(1);
      const list = await request(t.baseUrl).get('/messages?direction=inbound').expect(200);
      expect(list.body.items).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("is an admin where the sandbox grants it (sandbox/main.ts's openAccessAdmin)", async () => {
    const t = await createTestApp({}, {}, { openAccessAdmin: true });
    try {
      const res = await request(t.baseUrl).delete(optOut).expect(404);
      expect(res.body.code).toBe('OPT_OUT_NOT_FOUND');
    } finally {
      await t.close();
    }
  });
});
