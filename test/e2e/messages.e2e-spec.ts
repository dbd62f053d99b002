import request from 'supertest';
import { Types } from 'mongoose';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { createTestApp, TestApp } from '../support/test-app';

describe('GET /messages and /messages/:id (e2e)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  /** Inserts logs with distinct, known createdAt values (oldest first). */
  async function seed(count: number, over: (i: number) => Partial<MessageLog> = () => ({})) {
    const base = Date.UTC(2026, 0, 1);
    const docs = Array.from({ length: count }, (_, i) => ({
      direction: 'outbound',
      channel: 'mms',
      sender: '+14155550100',
      recipient: '+14157654321',
      text: `message ${i}`,
      mediaUrls: ['https://m.example.com/a.png'],
      status: 'queued',
      statusRank: 2,
      createdAt: new Date(base + i * 1000),
      updatedAt: new Date(base + i * 1000),
      ...over(i),
    }));
    await logs().collection.insertMany(docs);
  }

  describe('GET /messages/:id', () => {
    it('200 with the log of a sent message', async () => {
      const sent = await request(t.baseUrl)
        .post('/send-mms')
        .send({
          destinationNumber: '+14157654321',
          messageText: 'Hello',
          mediaUrl: 'https://m.example.com/a.gif',
        })
        .expect(202);
      const res = await request(t.baseUrl).get(`/messages/${sent.body.messageId}`).expect(200);
      expect(res.body).toMatchObject({
        id: sent.body.messageId,
        direction: 'outbound',
        sender: '+14155550100',
        recipient: '+14157654321',
        text: 'Hello',
        mediaUrls: ['https://m.example.com/a.gif'],
        mediaIds: [],
        plivoMessageUuid: sent.body.plivoResponse.messageUuid[0],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(res.body.statusHistory[0]).toMatchObject({ status: 'pending', source: 'api' });
      expect(res.body).not.toHaveProperty('_id');
      expect(res.body).not.toHaveProperty('statusRank');
    });

    it('404 JSON when absent', async () => {
      const res = await request(t.baseUrl)
        .get(`/messages/${new Types.ObjectId().toHexString()}`)
        .expect(404);
      expect(res.body).toMatchObject({
        statusCode: 404,
        error: 'Not Found',
        code: 'MESSAGE_NOT_FOUND',
        requestId: expect.any(String),
      });
    });

    it.each(['123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '%7B%24ne%3A1%7D'])(
      '400 for the malformed id %s',
      async (id) => {
        const res = await request(t.baseUrl).get(`/messages/${id}`).expect(400);
        expect(res.body.code).toBe('INVALID_MESSAGE_ID');
      },
    );
  });

  describe('GET /messages', () => {
    it('lists newest first and pages through everything with the cursor, without gaps or repeats', async () => {
      await seed(25);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: request.Response = await request(t.baseUrl)
          .get('/messages')
          .query({ limit: 10, ...(cursor ? { cursor } : {}) })
          .expect(200);
        seen.push(...res.body.items.map((m: { text: string }) => m.text));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `message ${24 - i}`));
    });

    it('keeps order stable for messages created in the same millisecond', async () => {
      await seed(5, () => ({ createdAt: new Date(Date.UTC(2026, 0, 1)) }));
      const first = await request(t.baseUrl).get('/messages').query({ limit: 2 }).expect(200);
      const rest = await request(t.baseUrl)
        .get('/messages')
        .query({ limit: 10, cursor: first.body.nextCursor })
        .expect(200);
      const ids = [...first.body.items, ...rest.body.items].map((m: { id: string }) => m.id);
      expect(new Set(ids).size).toBe(5);
      expect(ids).toEqual([...ids].sort().reverse());
    });

    it('every cursor it issues matches the pattern the OpenAPI document states, and any cursor matching it is accepted', async () => {
      await seed(7);
      const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
      const param = doc.paths['/messages'].get.parameters.find(
        (p: { name: string }) => p.name === 'cursor',
      );
      const pattern = new RegExp(param.schema.pattern);
      const cursors: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(t.baseUrl)
          .get('/messages')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .expect(200);
        cursor = res.body.nextCursor;
        if (cursor) cursors.push(cursor);
      } while (cursor);
      expect(cursors).toHaveLength(3);
      for (const c of cursors) expect(c).toMatch(pattern);
      // A cursor for an id that was never issued: schema-valid, so a page (here: everything older).
      const anywhere = Buffer.from('f'.repeat(24)).toString('base64url');
      expect(anywhere).toMatch(pattern);
      const res = await request(t.baseUrl).get('/messages').query({ cursor: anywhere }).expect(200);
      expect(res.body.items).toHaveLength(7);
      // Base64url that is no cursor: refused by the pattern and by the API.
      const junk = Buffer.from('x'.repeat(24)).toString('base64url');
      expect(junk).not.toMatch(pattern);
      const bad = await request(t.baseUrl).get('/messages').query({ cursor: junk }).expect(400);
      expect(bad.body.code).toBe('INVALID_CURSOR');
    });

    it('an unknown query parameter that looks like a known one gets a hint', async () => {
      const res = await request(t.baseUrl)
        .get('/messages')
        .query({ to: '+14157654321', nextCursor: 'x' })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.body.errors).toEqual([
        { field: 'to', messages: ['property to should not exist (did you mean recipient?)'] },
        {
          field: 'nextCursor',
          messages: ['property nextCursor should not exist (did you mean cursor?)'],
        },
      ]);
    });

    it('still accepts a cursor in the earlier <createdAt ms>.<id> form, paging by its id', async () => {
      await seed(5);
      const first = await request(t.baseUrl).get('/messages').query({ limit: 2 }).expect(200);
      const lastId = first.body.items[1].id as string;
      const legacy = Buffer.from(`${Date.now()}.${lastId}`).toString('base64url');
      const [modern, old] = await Promise.all(
        [first.body.nextCursor as string, legacy].map((cursor) =>
          request(t.baseUrl).get('/messages').query({ limit: 10, cursor }).expect(200),
        ),
      );
      expect(old.body.items.map((m: { id: string }) => m.id)).toEqual(
        modern.body.items.map((m: { id: string }) => m.id),
      );
      expect(old.body.items).toHaveLength(3);
    });

    it('filters by status, direction and recipient', async () => {
      await seed(6, (i) => ({
        status: i % 2 === 0 ? 'delivered' : 'failed',
        direction: i < 4 ? 'outbound' : 'inbound',
        recipient: i === 5 ? '+16135550123' : '+14157654321',
      }));
      const texts = async (query: Record<string, string>) =>
        (await request(t.baseUrl).get('/messages').query(query).expect(200)).body.items.map(
          (m: { text: string }) => m.text,
        );
      expect(await texts({ status: 'delivered' })).toEqual(['message 4', 'message 2', 'message 0']);
      expect(await texts({ direction: 'inbound' })).toEqual(['message 5', 'message 4']);
      expect(await texts({ recipient: '+16135550123' })).toEqual(['message 5']);
      expect(await texts({ status: 'failed', direction: 'outbound' })).toEqual([
        'message 3',
        'message 1',
      ]);
    });

    it('an empty page has nextCursor null', async () => {
      const res = await request(t.baseUrl).get('/messages').expect(200);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      [{ limit: '0' }],
      [{ limit: '101' }],
      [{ limit: 'ten' }],
      [{ status: 'bogus' }],
      [{ direction: 'sideways' }],
      [{ recipient: '12345' }],
      [{ cursor: 'not-a-cursor' }],
      [{ unexpected: '1' }],
    ])('400 for %j', async (query) => {
      const res = await request(t.baseUrl).get('/messages').query(query).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, requestId: expect.any(String) });
    });
  });
});
