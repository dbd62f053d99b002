/**
 * The operators' files against the code: every metric the Grafana dashboard
 * (deploy/grafana/mms-gateway.json) and the alert rules (deploy/prometheus/alerts.yaml) read is
 * one MetricsService registers (a histogram by its _bucket/_sum/_count series), every label they
 * match or group by is one of those metrics' (or the scrape's), and every alert links to a
 * runbook heading in docs/operations.md. test/e2e/operations.e2e-spec.ts finds the same names on
 * a live /metrics and validates the rules with promtool.
 */
import { readFileSync } from 'node:fs';
import { CALLBACK_OUTCOMES, MetricsService } from '../../src/metrics/metrics.service';
import {
  alertQueries,
  Dashboard,
  dashboardQueries,
  EXTERNAL_LABELS,
  EXTERNAL_METRICS,
  labelNames,
  markdownAnchors,
  metricNames,
  operatorMetricNames,
  OPERATIONS_DOC,
  PrometheusRule,
  readAlerts,
  readDashboard,
  seriesNames,
  TARGET_LABELS,
} from '../support/operator-queries';

/** Series name → the labels it carries, from the registry the service serves /metrics from. */
async function registeredSeries(): Promise<Map<string, string[]>> {
  const { registry } = new MetricsService();
  const series = new Map<string, string[]>();
  for (const family of await registry.getMetricsAsJSON()) {
    // prom-client keeps a metric's label names on it, untyped.
    const metric = registry.getSingleMetric(family.name) as unknown as { labelNames?: string[] };
    const labels = metric.labelNames ?? [];
    for (const name of seriesNames({ name: family.name, type: String(family.type) }))
      series.set(name, name.endsWith('_bucket') ? [...labels, 'le'] : [...labels]);
  }
  return series;
}

/** "<where>: <name>" for each metric read that is neither registered nor external. */
function unknownMetrics(used: Map<string, string[]>, series: Map<string, string[]>): string[] {
  return [...used]
    .filter(([name]) => !series.has(name) && !EXTERNAL_METRICS.has(name))
    .map(([name, where]) => `${where.join(', ')}: ${name}`);
}

/** "<where>: <label>" for each label an expression uses that none of its metrics carries. */
function unknownLabels(
  queries: { where: string; expr: string }[],
  series: Map<string, string[]>,
): string[] {
  return queries.flatMap(({ where, expr }) => {
    const allowed = new Set([
      ...TARGET_LABELS,
      ...metricNames(expr).flatMap((m) => series.get(m) ?? EXTERNAL_LABELS[m] ?? []),
    ]);
    return labelNames(expr)
      .filter((l) => !allowed.has(l))
      .map((l) => `${where}: ${l}`);
  });
}

const dashboard = readDashboard();
const rules = readAlerts();
const alerts = rules.spec.groups.flatMap((g) => g.rules);
let series: Map<string, string[]>;

beforeAll(async () => {
  series = await registeredSeries();
});

describe('the PromQL scan itself', () => {
  it('finds metric names, not functions, keywords, labels, strings or durations', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, sender) (rate(a_bucket{x=~"b|c{d}", job="$job"}[$__rate_interval] offset 1h))) / ignoring(outcome) group_left sum(b_total) > 1e-9 and on (x) c:rule',
      ),
    ).toEqual(['a_bucket', 'b_total', 'c:rule']);
    expect(labelNames('sum by (le, sender) (a{x=~"y", z!="w"}) / on(q) b')).toEqual([
      'le',
      'q',
      'sender',
      'x',
      'z',
    ]);
  });
});

describe('deploy/grafana/mms-gateway.json', () => {
  it('is an importable dashboard: schemaVersion 39, a Prometheus data source variable every query uses', () => {
    const raw = JSON.parse(
      readFileSync(require.resolve('../../deploy/grafana/mms-gateway.json'), 'utf8'),
    );
    expect(raw.schemaVersion).toBe(39);
    expect(raw.uid).toBe('mms-gateway');
    expect(raw.__inputs).toBeUndefined();
    const vars = dashboard.templating.list;
    expect(vars.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'job', 'client', 'sender']);
    // Every data source object, wherever it sits (panels, their targets, the variables).
    const sources = new Set<string>();
    JSON.stringify(raw, (key, value: unknown) => {
      if (key === 'datasource') sources.add(JSON.stringify(value));
      return value;
    });
    expect(sources).toEqual(
      new Set([
        '{"type":"prometheus","uid":"${datasource}"}',
        '{"type":"grafana","uid":"-- Grafana --"}',
      ]),
    );
    const ids = raw.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every metric it queries is one the service registers', () => {
    const used = operatorMetricNames(dashboard, { spec: { groups: [] } } as never);
    expect(used.size).toBeGreaterThan(15);
    expect(unknownMetrics(used, series)).toEqual([]);
  });

  it('every label it matches or groups by is one of those metrics (or the scrape) carries', () => {
    expect(unknownLabels(dashboardQueries(dashboard), series)).toEqual([]);
  });

  it("shows every one of the service's own metric families", () => {
    const used = [...operatorMetricNames(dashboard, { spec: { groups: [] } } as never).keys()];
    const own = [
      'http_requests_total',
      'http_request_duration_seconds',
      'mms_messages_total',
      'mms_dispatch_backlog',
      'mms_dispatch_oldest_due_seconds',
      'mms_dispatch_lag_seconds',
      'mms_sender_messages_total',
      'mms_sender_choices_total',
      'mms_campaign_messages_total',
      'mms_campaign_transitions_total',
      'plivo_webhook_events_total',
      'opt_out_changes_total',
      'opt_out_replies_total',
      'plivo_api_call_duration_seconds',
      'status_callback_events_total',
      'status_callback_delivery_seconds',
    ];
    // Every family MetricsService defines itself (not prom-client's defaults) is in this list.
    const defined = Object.values(new MetricsService())
      .map((m: { name?: string }) => m?.name)
      .filter((n): n is string => typeof n === 'string');
    expect(defined.sort()).toEqual([...own].sort());
    const missing = own.filter((f) => !used.some((u) => u === f || u.startsWith(`${f}_`)));
    expect(missing).toEqual([]);
    for (const process of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes'])
      expect(used).toContain(process);
  });

  it("the Plivo error ratio stat counts the failures the alert counts (without `rejected`, a caller's bad input)", () => {
    const outcomes = (expr: string) =>
      /plivo_api_call_duration_seconds_count\{[^}]*outcome(!~|!=)"([^"]*)"/.exec(expr)?.slice(1);
    const stat = dashboardQueries(dashboard).filter(
      (q) => q.where === 'panel "Plivo error ratio (5 m)"',
    );
    const alert = alerts.find((a) => a.alert === 'MmsGatewayPlivoErrorRatio')!;
    expect(stat).toHaveLength(1);
    expect(outcomes(alert.expr)).toEqual(['!~', 'ok|rejected']);
    expect(outcomes(stat[0].expr)).toEqual(outcomes(alert.expr));
  });

  it('the check really fails on a misspelt metric or label', () => {
    const broken = JSON.parse(
      JSON.stringify(dashboard)
        .replaceAll('mms_dispatch_backlog{', 'mms_dispatch_backlogs{')
        .replaceAll('by (outcome)', 'by (outcom)'),
    ) as Dashboard;
    const used = operatorMetricNames(broken, { spec: { groups: [] } } as never);
    expect(unknownMetrics(used, series)).toEqual(
      expect.arrayContaining([expect.stringMatching(/: mms_dispatch_backlogs$/)]),
    );
    expect(unknownLabels(dashboardQueries(broken), series)).toEqual(
      expect.arrayContaining([expect.stringMatching(/: outcom$/)]),
    );
  });
});

describe('deploy/prometheus/alerts.yaml', () => {
  it('is one PrometheusRule with uniquely named alerts, each with a severity, summary and description', () => {
    expect(rules.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rules.kind).toBe('PrometheusRule');
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const a of alerts) {
      expect([a.alert, a.labels?.severity]).toEqual([
        a.alert,
        expect.stringMatching(/^(critical|warning)$/),
      ]);
      expect([a.alert, a.annotations?.summary]).toEqual([a.alert, expect.any(String)]);
      expect([a.alert, a.annotations?.description]).toEqual([a.alert, expect.any(String)]);
    }
  });

  it('covers what the issue asks: Plivo auth and error ratio, callbacks, dispatch lag, unknown, readiness', () => {
    const metricsOf = (alert: string) => metricNames(alerts.find((a) => a.alert === alert)!.expr);
    expect(metricsOf('MmsGatewayPlivoAuthFailures')).toEqual([
      'plivo_api_call_duration_seconds_count',
    ]);
    expect(metricsOf('MmsGatewayPlivoErrorRatio')).toEqual([
      'plivo_api_call_duration_seconds_count',
    ]);
    expect(metricsOf('MmsGatewayCallbacksAbandoned')).toEqual(['status_callback_events_total']);
    expect(metricsOf('MmsGatewayCallbackOutboxGrowing')).toContain('status_callback_events_total');
    expect(metricsOf('MmsGatewayDispatchLagHigh')).toEqual(['mms_dispatch_lag_seconds_bucket']);
    expect(metricsOf('MmsGatewayDispatchStuck')).toEqual(['mms_dispatch_oldest_due_seconds']);
    expect(metricsOf('MmsGatewayUnknownMessagesRising')).toEqual(['mms_messages_total']);
    expect(metricsOf('MmsGatewayNotReady')).toEqual(['kube_pod_status_ready']);
    expect(metricsOf('MmsGatewayScrapeDown')).toEqual(['up']);
  });

  it('every metric the rules read is one the service registers (or up / kube-state-metrics)', () => {
    const used = operatorMetricNames({ panels: [], templating: { list: [] } } as never, rules);
    expect(unknownMetrics(used, series)).toEqual([]);
    expect(unknownLabels(alertQueries(rules), series)).toEqual([]);
  });

  it('every runbook_url is docs/operations.md#<anchor> and the anchor is a heading there', () => {
    const anchors = markdownAnchors(readFileSync(OPERATIONS_DOC, 'utf8'));
    const missing = alerts.filter((a) => {
      const m = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(a.annotations?.runbook_url ?? '');
      return !m || !anchors.has(m[1]);
    });
    expect(missing.map((a) => `${a.alert}: ${a.annotations?.runbook_url}`)).toEqual([]);
  });

  it('the check really fails on a misspelt metric or a runbook anchor with no heading', () => {
    const broken = readAlerts(
      readFileSync(require.resolve('../../deploy/prometheus/alerts.yaml'), 'utf8').replace(
        'status_callback_events_total{outcome="abandoned"}',
        'status_callbacks_total{outcome="abandoned"}',
      ),
    ) as PrometheusRule;
    const used = operatorMetricNames({ panels: [], templating: { list: [] } } as never, broken);
    expect(unknownMetrics(used, series)).toEqual([
      'alert MmsGatewayCallbacksAbandoned: status_callbacks_total',
    ]);
    const anchors = markdownAnchors(
      '# Runbooks\n### Plivo auth failures\n```\n## Not a heading\n```\n',
    );
    expect([...anchors]).toEqual(['runbooks', 'plivo-auth-failures']);
  });
});

describe('status_callback_events_total before the first callback', () => {
  it('exports every outcome at 0 from the start, so increase() and the alerts see the first one', async () => {
    const { registry } = new MetricsService();
    const text = await registry.getSingleMetricAsString('status_callback_events_total');
    const samples = text.split('\n').filter((line) => !line.startsWith('#'));
    expect(samples).toEqual(
      CALLBACK_OUTCOMES.map((o) => `status_callback_events_total{outcome="${o}"} 0`),
    );
  });
});
