/**
 * docs/deployment.md's Deployment section and the manifests tell the same numbers: its table is parsed
 * and every row compared with the value computed from deploy/k8s (and the code defaults the
 * manifests rely on). A row that differs, is missing or is not known here fails, and so does a
 * number in the section's prose that the table does not carry, so a figure cannot drift in text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import type { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { Secret } from 'kubernetes-models/v1/Secret';
import type { Service } from 'kubernetes-models/v1/Service';
import { buildSendConfig } from '../../src/config/send.config';
import { LIVENESS_HEAP_RATIO, livenessHeapLimit } from '../../src/health/heap-limit';

const ROOT = join(__dirname, '..', '..');
const manifest = <T>(file: string): T =>
  load(readFileSync(join(ROOT, 'deploy', 'k8s', file), 'utf8')) as T;

const deployment = manifest<Deployment>('deployment.yaml');
const hpa = manifest<HorizontalPodAutoscaler>('hpa.yaml');
const pdb = manifest<PodDisruptionBudget>('pdb.yaml');
const service = manifest<Service>('service.yaml');
const config = manifest<ConfigMap>('configmap.yaml').data!;
const secret = manifest<Secret>('secret.yaml').stringData ?? {};
const podSpec = deployment.spec!.template.spec!;
const container = podSpec.containers[0];
const init = podSpec.initContainers?.[0];
const imageMajor = /^FROM node:(\d+)/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];

const MIB = 2 ** 20;
/** What start-gateway.ts waits for a request's final MongoDB write after its sends, in s. */
const FINAL_WRITE_S = 5;

const nodeOption = (flag: string): number =>
  Number(new RegExp(`--${flag}=(\\d+)`).exec(config.NODE_OPTIONS ?? '')?.[1] ?? NaN);

function probe(p: IProbe | undefined, total = false): string {
  const { periodSeconds = 10, timeoutSeconds = 1, failureThreshold = 3 } = p ?? {};
  const budget = total ? ` (${periodSeconds * failureThreshold} s)` : '';
  return `\`GET ${p?.httpGet?.path}\` every ${periodSeconds} s, timeout ${timeoutSeconds} s, ${failureThreshold} failures${budget}`;
}

function heapCeilingMib(): number {
  return nodeOption('max-old-space-size') + 3 * nodeOption('max-semi-space-size');
}

function grace(): string {
  const seconds = (ms: number) => ms / 1000;
  const terms = [
    seconds(Number(config.SHUTDOWN_DELAY_MS)),
    seconds(buildSendConfig(config).mediaPreflightTimeoutMs),
    seconds(Number(config.PLIVO_SEND_DEADLINE_MS)),
    FINAL_WRITE_S,
    seconds(Number(config.STATUS_CALLBACK_TIMEOUT_MS)),
  ];
  const sum = terms.reduce((a, b) => a + b, 0);
  const g = podSpec.terminationGracePeriodSeconds!;
  return `${g} s ${g >= sum ? '≥' : '<'} ${terms.join(' + ')} = ${sum} s`;
}

/** Each row of the README table, by its first cell: the value the manifests say. */
const EXPECTED: Record<string, () => string> = {
  'replicas (`deployment.yaml`)': () => String(deployment.spec!.replicas),
  'autoscaling (`hpa.yaml`)': () => {
    const metric = hpa.spec!.metrics!;
    const cpu =
      metric.length === 1 && metric[0].resource?.name === 'cpu'
        ? metric[0].resource.target
        : undefined;
    return `${hpa.spec!.minReplicas}–${hpa.spec!.maxReplicas} replicas at ${cpu?.averageUtilization}% of the CPU request`;
  },
  'rolling update': () => {
    const r = deployment.spec!.strategy!.rollingUpdate!;
    return `maxSurge ${r.maxSurge}, maxUnavailable ${r.maxUnavailable}`;
  },
  'disruption budget (`pdb.yaml`)': () => `minAvailable ${pdb.spec!.minAvailable}`,
  'container port': () => {
    const port = container.ports![0];
    const serverPort = config.SERVER_PORT === String(port.containerPort) ? '`SERVER_PORT`' : '?';
    return `${port.containerPort}, named \`${port.name}\` (${serverPort})`;
  },
  'Service (`service.yaml`)': () => {
    const port = service.spec!.ports![0];
    return `${service.spec!.type}, port ${port.port} → \`${port.targetPort}\``;
  },
  CPU: () =>
    `request ${container.resources!.requests!.cpu}, limit ${container.resources!.limits!.cpu}`,
  memory: () =>
    `request ${container.resources!.requests!.memory}, limit ${container.resources!.limits!.memory}`,
  '`NODE_OPTIONS` (`configmap.yaml`)': () => `\`${config.NODE_OPTIONS}\``,
  [`V8 heap ceiling (\`heap_size_limit\`, Node ${imageMajor})`]: () =>
    `${heapCeilingMib()} MiB = ${nodeOption('max-old-space-size')} old space + 3 × ${nodeOption('max-semi-space-size')} young generation`,
  'liveness heap check': () =>
    `fails above ${LIVENESS_HEAP_RATIO * 100}% of the ceiling: ${Math.floor(livenessHeapLimit(heapCeilingMib() * MIB) / MIB)} MiB`,
  'startup probe': () => probe(container.startupProbe, true),
  'liveness probe': () => probe(container.livenessProbe),
  'readiness probe': () => probe(container.readinessProbe),
  '`SHUTDOWN_DELAY_MS`': () => String(config.SHUTDOWN_DELAY_MS),
  '`PLIVO_TIMEOUT_MS`, `PLIVO_SEND_DEADLINE_MS`': () =>
    `${config.PLIVO_TIMEOUT_MS}, ${config.PLIVO_SEND_DEADLINE_MS}`,
  '`terminationGracePeriodSeconds`': grace,
  'index step': () => `init container \`${init?.name}\`: \`${init?.command?.join(' ')}\``,
  '`MONGODB_AUTO_INDEX`, `MONGODB_REQUIRE_INDEXES`': () =>
    `${config.MONGODB_AUTO_INDEX}, ${config.MONGODB_REQUIRE_INDEXES}`,
  'rate limit': () => {
    const redis = 'REDIS_URL' in secret ? 'Secret' : 'REDIS_URL' in config ? 'ConfigMap' : 'unset';
    return `\`THROTTLE_LIMIT\` ${config.THROTTLE_LIMIT} per \`THROTTLE_TTL_MS\` ${config.THROTTLE_TTL_MS}, shared through \`REDIS_URL\` (${redis})`;
  },
  'pod security': () => {
    const security = container.securityContext!;
    const tmp = podSpec.volumes!.find(
      (v) => v.name === container.volumeMounts!.find((m) => m.mountPath === '/tmp')?.name,
    );
    const root = security.readOnlyRootFilesystem ? 'read-only' : 'writable';
    return `uid ${security.runAsUser}, ${root} root filesystem, \`/tmp\` an emptyDir of ${tmp?.emptyDir?.sizeLimit}`;
  },
};

// docs/deployment.md's Deployment section (up to its next ## heading): its table rows, and the
// rest of its text.
const page = readFileSync(join(ROOT, 'docs', 'deployment.md'), 'utf8');
const section = /^# Deployment\n([\s\S]*?)(?=^## )/m.exec(page)?.[1] ?? '';
const lines = section.split('\n');
const tableLines = lines.filter((line) => line.startsWith('|'));
const rows = tableLines
  .slice(2) // header and separator
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
const prose = lines.filter((line) => !line.startsWith('|')).join('\n');

/** Free-standing numbers (not part of a word, path, version or flag): 40, 2–10, 0.9… */
const numbersIn = (text: string): string[] =>
  text.match(/(?<![\w.:/=-])\d+(?:\.\d+)?(?![\w./:=-])/g) ?? [];

describe("docs/deployment.md's Deployment section agrees with deploy/k8s", () => {
  it('has the table, one row per setting, no row unknown and none missing', () => {
    expect(tableLines[0]).toMatch(/^\| setting \| value \|$/);
    const labels = rows.map(([label]) => label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.filter((label) => !(label in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((label) => !labels.includes(label))).toEqual([]);
  });

  it.each(Object.keys(EXPECTED))('%s', (label) => {
    const row = rows.find(([l]) => l === label);
    expect(row?.[1]).toBe(EXPECTED[label]());
  });

  it('states no number in its text that the table does not carry', () => {
    const table = new Set(numbersIn(tableLines.join('\n')));
    expect(numbersIn(prose).filter((n) => !table.has(n))).toEqual([]);
  });
});
