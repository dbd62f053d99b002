/**
 * The PromQL the operators' files run (deploy/grafana/mms-gateway.json and
 * deploy/prometheus/alerts.yaml), and the metric names it reads, for the tests that hold them to
 * what the service exports (test/unit/operator-queries.spec.ts, test/e2e/operations.e2e-spec.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

const ROOT = join(__dirname, '..', '..');
export const DASHBOARD_FILE = join(ROOT, 'deploy', 'grafana', 'mms-gateway.json');
export const ALERTS_FILE = join(ROOT, 'deploy', 'prometheus', 'alerts.yaml');
export const OPERATIONS_DOC = join(ROOT, 'docs', 'operations.md');

/** Series the service does not export: Prometheus' own `up` and kube-state-metrics' readiness. */
export const EXTERNAL_METRICS = new Set(['up', 'kube_pod_status_ready']);

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export interface PrometheusRule {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { groups: RuleGroup[] };
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  schemaVersion: number;
  templating: { list: { name: string; type: string; query?: string | { query?: string } }[] };
  panels: Panel[];
}

export const readDashboard = (text = readFileSync(DASHBOARD_FILE, 'utf8')): Dashboard =>
  JSON.parse(text) as Dashboard;

export const readAlerts = (text = readFileSync(ALERTS_FILE, 'utf8')): PrometheusRule =>
  load(text) as PrometheusRule;

/** Every PromQL expression of the dashboard, named by where it sits (panels and variables). */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? [])
        if (target.expr) out.push({ where: `panel "${panel.title}"`, expr: target.expr });
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    // label_values(<selector>, <label>): the selector is PromQL.
    const selector = query && /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1];
    if (selector) out.push({ where: `variable $${v.name}`, expr: selector });
  }
  return out;
}

export function alertQueries(rule: PrometheusRule): { where: string; expr: string }[] {
  return rule.spec.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  );
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names an expression reads. PromQL's grammar makes this a token scan: once strings,
 * label matchers, ranges and the label lists of by/without/on/ignoring/group_* are gone, an
 * identifier not followed by `(` (a function or an aggregation) and not a keyword is a metric
 * name. Grafana's variables ($job, $__rate_interval) only appear in strings and ranges.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:.$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    if (!KEYWORDS.has(m[1].toLowerCase())) names.add(m[1]);
  }
  return [...names].sort();
}

/** Every metric name the dashboard and the alert rules read, with the places that read it. */
export function operatorMetricNames(
  dashboard: Dashboard = readDashboard(),
  rules: PrometheusRule = readAlerts(),
): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const { where, expr } of [...dashboardQueries(dashboard), ...alertQueries(rules)])
    for (const name of metricNames(expr)) used.set(name, [...(used.get(name) ?? []), where]);
  return used;
}

/**
 * The series names a registry family exposes: a histogram's `_bucket`, `_sum` and `_count`, a
 * summary's `_sum` and `_count`, else the name itself.
 */
export function seriesNames(family: { name: string; type: string }): string[] {
  if (family.type === 'histogram')
    return ['_bucket', '_sum', '_count'].map((s) => `${family.name}${s}`);
  if (family.type === 'summary') return [family.name, `${family.name}_sum`, `${family.name}_count`];
  return [family.name];
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
export const headingAnchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a Markdown file's headings (outside code fences). */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) anchors.add(headingAnchor(heading[1]));
  }
  return anchors;
}

/** Labels the scrape adds to every series (the ServiceMonitor's, or docs/operations.md's job). */
export const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'endpoint'];

/** The labels of the series the service does not export (see EXTERNAL_METRICS). */
export const EXTERNAL_LABELS: Record<string, string[]> = {
  up: [],
  kube_pod_status_ready: ['condition', 'uid'],
};

/** The label names an expression matches on or groups by. */
export function labelNames(expr: string): string[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const names = new Set<string>();
  for (const [, body] of noStrings.matchAll(/\{([^}]*)\}/g))
    for (const [, name] of body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) names.add(name);
  for (const [, list] of noStrings.matchAll(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
  ))
    for (const name of list.split(',').map((s) => s.trim())) if (name) names.add(name);
  return [...names].sort();
}
