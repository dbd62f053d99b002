/**
 * The operators' dashboard and alert rules against the running service (issue #24): after a
 * send, a scheduled send, Plivo's webhooks and the client's status callbacks, every metric the
 * dashboard and the rules read is on a live GET /metrics, with samples; and the rules pass
 * Prometheus' own parser (`promtool check rules`, Debian's `prometheus` package, which the e2e
 * set-up installs). test/unit/operator-queries.spec.ts checks the same names against the registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import request from 'supertest';
import { StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import {
  EXTERNAL_METRICS,
  operatorMetricNames,
  PrometheusRule,
  readAlerts,
} from '../support/operator-queries';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const SECRET = randomBytes(32).toString('hex');
const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Your order shipped',
  mediaUrl: 'https://m.example.com/a.gif',
};
/** Refreshed every 15 s by each replica, longer than this test waits: its family is checked. */
const NO_SAMPLE_EXPECTED = new Set(['mms_dispatch_backlog']);

/** The families (`# TYPE`) and the series names with at least one sample of an exposition. */
function parseExposition(text: string): { families: Map<string, string>; sampled: Set<string> } {
  const families = new Map<string, string>();
  const sampled = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1], type[2]);
    const sample = /^([a-zA-Z_:][\w:]*)[{ ]/.exec(line);
    if (sample) sampled.add(sample[1]);
  }
  return { families, sampled };
}

/** The family a series name belongs to: a histogram's _bucket/_sum/_count count by base name. */
function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const base = /^(.*)_(?:bucket|sum|count)$/.exec(name)?.[1];
  return base && ['histogram', 'summary'].includes(families.get(base) ?? '') ? base : undefined;
}

describe('operators: dashboard and alert rules against a live /metrics (e2e)', () => {
  let t: TestApp;
  let receiver: StatusReceiver;
  let statusCallbackUrl: string;

  beforeAll(async () => {
    receiver = new StatusReceiver({ secrets: [SECRET] });
    const hookUrl = await receiver.listen();
    statusCallbackUrl = `${hookUrl}/hooks/mms-status`;
    t = await createTestApp({
      STATUS_CALLBACK_POLL_MS: '50',
      STATUS_CALLBACK_RETRY_BASE_MS: '50',
      STATUS_CALLBACK_TIMEOUT_MS: '3000',
      STATUS_CALLBACK_SECRET: SECRET,
      STATUS_CALLBACK_ALLOWED_HOSTS: new URL(hookUrl).host,
      DISPATCH_POLL_MS: '50',
      DISPATCH_LEASE_MS: '2000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('every metric the dashboard and the alerts read is served, with samples, after a little traffic', async () => {
    const now = await request(t.baseUrl)
      .post('/send-mms')
      .send({ ...SEED, statusCallbackUrl })
      .expect(202);
    expect(now.body.status).toBe('queued');
    const later = await request(t.baseUrl)
      .post('/send-mms')
      .send({ ...SEED, sendAt: new Date(Date.now() + 1000).toISOString() })
      .expect(202);
    expect(later.body.status).toBe('scheduled');
    // A STOP from another number: the opt-out list and the keyword reply.
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      {
        MessageUUID: `in-${Date.now()}`,
        From: '14157650000',
        To: TEST_SENDER.slice(1),
        Text: 'STOP',
        Type: 'sms',
      },
      { token: t.authToken },
    ).expect(200);

    // A campaign of one recipient, held for an hour: its message and its status counted.
    await request(t.baseUrl)
      .post('/campaigns')
      .send({
        name: 'Operations',
        messageText: SEED.messageText,
        mediaUrl: SEED.mediaUrl,
        recipients: ['+14157650001'],
        sendAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      .expect(201);

    // Plivo's status webhooks, the client's callback delivered, the scheduled one dispatched.
    const scrape = () =>
      request(t.baseUrl)
        .get('/metrics')
        .expect(200)
        .then((r) => r.text);
    const text = await eventually(
      scrape,
      (m) =>
        /^plivo_webhook_events_total\{kind="status",status="delivered",verdict="accepted"\} [1-9]/m.test(
          m,
        ) &&
        /^status_callback_events_total\{outcome="delivered"\} [1-9]/m.test(m) &&
        /^opt_out_replies_total\{/m.test(m) &&
        m.includes(`mms_dispatch_lag_seconds_count{sender="${TEST_SENDER}"} 1`) &&
        // Counted just after the lag: a scrape can fall between the two.
        /^mms_messages_total\{outcome="queued",reason="ok",client="[^"]*"\} 2$/m.test(m),
      'the webhooks, a delivered status callback and a dispatched message in /metrics',
      15000,
      100,
    );

    const { families, sampled } = parseExposition(text);
    const used = operatorMetricNames();
    const internal = [...used.keys()].filter((n) => !EXTERNAL_METRICS.has(n));
    expect(internal.length).toBeGreaterThan(15);
    expect(internal.filter((n) => !familyOf(n, families))).toEqual([]);
    expect(internal.filter((n) => !sampled.has(n) && !NO_SAMPLE_EXPECTED.has(n))).toEqual([]);
    expect(text).toMatch(
      new RegExp(`^mms_messages_total\\{outcome="queued",reason="ok",client="[^"]*"\\} 2$`, 'm'),
    );
  });
});

describe('deploy/prometheus/alerts.yaml with promtool (Prometheus 2.42, Debian)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mms-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `promtool check rules` on the PrometheusRule's groups as a plain rules file. */
  function checkRules(rule: PrometheusRule): { status: number | null; output: string } {
    const file = join(dir, `rules-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(file, dump({ groups: rule.spec.groups }));
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (run.error) throw run.error;
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }

  it('promtool is the one the set-up installs', () => {
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(
      /^promtool, version 2\./,
    );
  });

  it('every rule parses and checks', () => {
    const rules = readAlerts();
    const count = rules.spec.groups.reduce((n, g) => n + g.rules.length, 0);
    const { status, output } = checkRules(rules);
    expect(output).toContain(`SUCCESS: ${count} rules found`);
    expect(status).toBe(0);
  });

  /** `promtool test rules` of the PrometheusRule's groups against `tests` (its unit-test format). */
  function testRules(tests: unknown[]): { status: number | null; output: string } {
    const id = randomBytes(4).toString('hex');
    writeFileSync(join(dir, `rules-${id}.yaml`), dump({ groups: readAlerts().spec.groups }));
    const file = join(dir, `tests-${id}.yaml`);
    writeFileSync(
      file,
      dump({ rule_files: [`rules-${id}.yaml`], evaluation_interval: '1m', tests }),
    );
    const run = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
    if (run.error) throw run.error;
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }

  it('MmsGatewayCallbackOutboxGrowing fires for a client endpoint dead since the pod started (no callback ever delivered)', () => {
    const labels = 'namespace="n", job="mms-gateway"';
    const { status, output } = testRules([
      {
        interval: '1m',
        // Every attempt fails and is retried; the `delivered` series was never created.
        input_series: [
          {
            series: `status_callback_events_total{outcome="retried", ${labels}}`,
            values: '0+10x120',
          },
        ],
        alert_rule_test: [
          {
            eval_time: '90m',
            alertname: 'MmsGatewayCallbackOutboxGrowing',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', namespace: 'n', job: 'mms-gateway' },
                exp_annotations: {
                  summary: 'The status callback outbox is growing',
                  description:
                    'Status callbacks in n fail more often than they are delivered, or 10% of them reach the client more than 15 minutes after the status change.',
                  runbook_url: 'docs/operations.md#callback-outbox-growing',
                },
              },
            ],
          },
        ],
      },
    ]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('the check really fails on a broken expression', () => {
    const rules = readAlerts();
    rules.spec.groups[0].rules[0].expr =
      'sum by (namespace) (increase(plivo_api_call_duration_seconds_count[5m]) > > 0';
    const { status, output } = checkRules(rules);
    expect(status).not.toBe(0);
    expect(output).toMatch(/parse error/);
  });
});
