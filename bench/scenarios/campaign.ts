/**
 * --campaign, after the throughput run (issue #22): campaigns. Each part starts its own service.
 * 1. creation: POST /campaigns with --campaign-recipients recipients: its answer time and the
 *    service's RSS before and after (skipped, and said so, while the route does not exist);
 * 2. drain: a running campaign (no maxPerSecond) with --campaign-recipients messages due now,
 *    written as creation writes them, pacing off: the rate at the simulator vs the same run's
 *    POST /send-mms req/s (the campaign's own read per message, cached ≤ 1 s, is what differs
 *    from the plain dispatch drain).
 */
import mongoose from 'mongoose';
import { arrivalStats, type ArrivalStats } from '../arrivals';
import { scheduledCopy, type Doc } from '../dispatch-queue';
import { PACING_OFF } from '../environment';
import { API_KEY, MEDIA_URL } from '../fixtures';
import { call } from '../http';
import { sleep } from '../processes';
import { log, type Target } from '../report';
import { round } from '../stats';
import type { ModeOutcome } from './context';
import { scheduledTemplate, type DispatchContext } from './dispatch';

const { MongoClient, ObjectId } = mongoose.mongo;

const CREATE_TARGET_MS = 2000;
const RSS_RISE_TARGET_MB = 50;
const DRAIN_TARGET = 0.8;

/** Distinct US numbers in the simulator's range (a campaign's recipients are unique). */
const recipient = (i: number) => `+1415${String(2000000 + i).padStart(7, '0')}`;

interface Creation {
  status: number;
  ms?: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  answer?: string;
}

async function creationScenario(ctx: DispatchContext, count: number): Promise<Creation> {
  const service = await ctx.start(PACING_OFF);
  try {
    const before = await ctx.memory(service);
    const body = JSON.stringify({
      name: 'bench',
      messageText: 'Bench campaign',
      mediaUrl: MEDIA_URL,
      recipients: Array.from({ length: count }, (_, i) => recipient(i)),
      // A day ahead: the creation is measured, not the sends.
      sendAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const headers = { 'content-type': 'application/json', 'x-api-key': API_KEY };
    const answer = await call(service.baseUrl, 'POST', '/campaigns', headers, body);
    const after = await ctx.memory(service);
    return {
      status: answer.status,
      ms: round(answer.ms),
      rssBeforeMb: before?.rss,
      rssAfterMb: after?.rss,
      answer: answer.status === 201 ? undefined : answer.body.slice(0, 200),
    };
  } finally {
    await service.stop();
  }
}

/** A running campaign and `count` of its messages due now, written straight to the database. */
async function seedCampaign(uri: string, template: Doc, count: number): Promise<void> {
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db();
    const campaignId = new ObjectId();
    const now = new Date();
    // Messages earlier scenarios left held (the 'waiting' scenario's sends under production
    // pacing come due one every 4 s) would go out during the drain, counted as its: taken out
    // of the queue first, so the drain sends the campaign's messages and nothing else.
    await db
      .collection('message_logs')
      .updateMany(
        { dispatchDueAt: { $exists: true }, campaignId: { $exists: false } },
        { $unset: { dispatchDueAt: '', dispatchLease: '' } },
      );
    await db.collection('campaigns').insertOne({
      _id: campaignId,
      clientId: template.clientId,
      name: 'bench drain',
      status: 'running',
      messageText: template.text,
      mediaUrls: template.mediaUrls,
      mediaIds: [],
      sendAt: now,
      validUntil: template.validUntil,
      counts: { total: count, duplicates: 0, optedOut: 0, invalid: 0, scheduled: count },
      monitorDueAt: now,
      createdAt: now,
      updatedAt: now,
    });
    for (let offset = 0; offset < count; offset += 5000) {
      const docs = [];
      for (let i = offset; i < Math.min(count, offset + 5000); i++)
        docs.push({ ...scheduledCopy(template, i, now, now), campaignId, recipient: recipient(i) });
      await db.collection('message_logs').insertMany(docs, { ordered: false });
    }
  } finally {
    await client.close();
  }
}

async function drainScenario(
  ctx: DispatchContext,
  template: Doc,
  count: number,
): Promise<{ arrivals: ArrivalStats; complete: boolean; ratioToSend?: number }> {
  await seedCampaign(ctx.database.uri, template, count);
  ctx.simulator.reset();
  const service = await ctx.start(PACING_OFF);
  const cap = Date.now() + Math.max(120_000, (count / 20) * 1000);
  const sent = () =>
    ctx.simulator
      .requests()
      .filter((r) => r.method === 'POST' && /\/Message\/?(\?|$)/.test(r.path))
      .map((r) => r.at.getTime());
  try {
    while (sent().length < count && Date.now() < cap) await sleep(100);
  } finally {
    await service.stop();
  }
  const times = sent().sort((a, b) => a - b);
  const arrivals = arrivalStats(times, 0, []);
  const ratioToSend = ctx.sendRps ? round(arrivals.ratePerS / ctx.sendRps, 3) : undefined;
  return { arrivals, complete: times.length >= count, ratioToSend };
}

export async function campaignRun(
  ctx: DispatchContext,
  count: number,
  drainCount = count,
): Promise<ModeOutcome> {
  log(`\nCampaigns (${count.toLocaleString('en-US')} recipients):`);
  const creation = await creationScenario(ctx, count);
  const created = creation.status === 201;
  log(
    created
      ? `  POST /campaigns: 201 in ${creation.ms} ms; RSS ${creation.rssBeforeMb} → ${creation.rssAfterMb} MB`
      : `  POST /campaigns: ${creation.status} (${creation.answer ?? ''}): creation not measured`,
  );
  const template = await scheduledTemplate(ctx);
  const drain = await drainScenario(ctx, template, drainCount);
  log(
    `  drain, pacing off: ${drain.arrivals.count} Plivo requests in ${drain.arrivals.spanS} s: ${drain.arrivals.ratePerS} msg/s = ${drain.ratioToSend ?? '-'}× the send run's ${ctx.sendRps ?? '-'} req/s`,
  );
  const rise =
    creation.rssAfterMb !== undefined && creation.rssBeforeMb !== undefined
      ? round(creation.rssAfterMb - creation.rssBeforeMb)
      : undefined;
  const targets: Target[] = [
    {
      target: `POST /campaigns with ${count} recipients answers in ≤ ${CREATE_TARGET_MS} ms, RSS rise ≤ ${RSS_RISE_TARGET_MB} MB`,
      measured: created
        ? `${creation.ms} ms, +${rise ?? '-'} MB`
        : `not measured (${creation.status})`,
      pass:
        created &&
        (creation.ms ?? Infinity) <= CREATE_TARGET_MS &&
        (rise ?? Infinity) <= RSS_RISE_TARGET_MB,
    },
    {
      target: `campaign drain (${drainCount} due, pacing off) ≥ ${DRAIN_TARGET}× POST /send-mms req/s`,
      measured: `${drain.ratioToSend ?? '-'}× (${drain.arrivals.ratePerS} vs ${ctx.sendRps ?? '-'}/s; ${drain.arrivals.count}/${drainCount} sent)`,
      pass: drain.complete && (drain.ratioToSend ?? 0) >= DRAIN_TARGET,
    },
  ];
  return { report: { campaign: { creation, drain } }, targets };
}
