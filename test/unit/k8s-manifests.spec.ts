/**
 * The container and Kubernetes deployment, checked offline: every manifest in deploy/k8s is
 * validated against the Kubernetes OpenAPI schemas bundled in `kubernetes-models`, then the
 * invariants that keep the service safe to run (probes, non-root, drain time, heap below the
 * memory limit, the index step, placeholder-only Secret, documented env vars) are asserted. The
 * Dockerfile gets simple text checks. The README's numbers: deployment-readme.spec.ts.
 *
 * Limitation: the bundled schemas check types, enums and required fields but, like the
 * Kubernetes OpenAPI spec, allow unknown fields, so a misspelt key is caught only where an
 * invariant below reads the field it should have set.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { loadConfiguration } from '../../src/config/configuration';

const ROOT = join(__dirname, '..', '..');
const K8S_DIR = join(ROOT, 'deploy', 'k8s');
const APP_LABEL = { 'app.kubernetes.io/name': 'mms-gateway' };

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string };
type Validatable = { validate(): void };

/** Each file holds exactly one resource. */
function loadManifest(file: string): Manifest {
  const docs = loadAll(readFileSync(join(K8S_DIR, file), 'utf8')).filter((doc) => doc != null);
  if (docs.length !== 1) throw new Error(`${file}: expected one resource, found ${docs.length}`);
  return docs[0] as Manifest;
}

/** A deep copy, so a test can break it without touching the parsed original. */
const clone = <T>(value: T): T => structuredClone(value);

const RESOURCES: Record<string, { kind: string; model: (data: never) => Validatable }> = {
  'deployment.yaml': { kind: 'Deployment', model: (d) => new Deployment(d) },
  'service.yaml': { kind: 'Service', model: (d) => new Service(d) },
  'configmap.yaml': { kind: 'ConfigMap', model: (d) => new ConfigMap(d) },
  'secret.yaml': { kind: 'Secret', model: (d) => new Secret(d) },
  'hpa.yaml': { kind: 'HorizontalPodAutoscaler', model: (d) => new HorizontalPodAutoscaler(d) },
  'pdb.yaml': { kind: 'PodDisruptionBudget', model: (d) => new PodDisruptionBudget(d) },
};

const validate = (file: string, data: unknown): void =>
  RESOURCES[file].model(data as never).validate();

// Typed views of the parsed manifests (the schema tests below vouch for their shape).
const deployment = loadManifest('deployment.yaml') as unknown as Deployment;
const service = loadManifest('service.yaml') as unknown as Service;
const configMap = loadManifest('configmap.yaml') as unknown as ConfigMap;
const secret = loadManifest('secret.yaml') as unknown as Secret;
const hpa = loadManifest('hpa.yaml') as unknown as HorizontalPodAutoscaler;
const pdb = loadManifest('pdb.yaml') as unknown as PodDisruptionBudget;
const podSpec = deployment.spec!.template.spec!;
const container = podSpec.containers[0];
const config = configMap.data!;

describe('deploy/k8s: schema validation (kubernetes-models)', () => {
  it.each(Object.keys(RESOURCES))('%s validates against its schema', (file) => {
    const manifest = loadManifest(file);
    expect(manifest.kind).toBe(RESOURCES[file].kind);
    expect(() => validate(file, manifest)).not.toThrow();
  });

  it.each(Object.keys(RESOURCES))('%s carries the app label and no namespace', (file) => {
    const metadata = loadManifest(file).metadata as { labels?: object; namespace?: string };
    expect(metadata.labels).toMatchObject(APP_LABEL);
    expect(metadata.namespace).toBeUndefined();
  });

  describe('the validation really fails on a broken manifest', () => {
    it('rejects replicas given as a string', () => {
      const broken = clone(loadManifest('deployment.yaml')) as unknown as Deployment;
      (broken.spec as { replicas: unknown }).replicas = 'two';
      expect(() => validate('deployment.yaml', broken)).toThrow(/replicas must be integer/);
    });

    it('rejects a probe port that is neither a number nor a name', () => {
      const broken = clone(loadManifest('deployment.yaml')) as unknown as Deployment;
      const probe = broken.spec!.template.spec!.containers[0].livenessProbe!;
      (probe.httpGet as { port: unknown }).port = { name: 'http' };
      expect(() => validate('deployment.yaml', broken)).toThrow(/livenessProbe\/httpGet\/port/);
    });

    it('rejects a pod without containers', () => {
      const broken = clone(loadManifest('deployment.yaml')) as unknown as Deployment;
      delete (broken.spec!.template.spec as { containers?: unknown }).containers;
      expect(() => validate('deployment.yaml', broken)).toThrow(/containers/);
    });

    it('rejects an unquoted number in ConfigMap data (data values must be strings)', () => {
      const broken = clone(loadManifest('configmap.yaml')) as unknown as ConfigMap;
      (broken.data as Record<string, unknown>).SERVER_PORT = 3000;
      expect(() => validate('configmap.yaml', broken)).toThrow(/SERVER_PORT must be string/);
    });

    it('rejects an unknown HPA metric target type', () => {
      const broken = clone(loadManifest('hpa.yaml')) as unknown as HorizontalPodAutoscaler;
      (broken.spec!.metrics![0].resource!.target as { type: unknown }).type = 42;
      expect(() => validate('hpa.yaml', broken)).toThrow();
    });
  });
});

describe('deploy/k8s: Deployment invariants', () => {
  it('runs at least 2 replicas and rolls out without losing capacity', () => {
    expect(deployment.spec!.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec!.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  it('selects its own pods by the app label', () => {
    expect(deployment.spec!.selector.matchLabels).toEqual(APP_LABEL);
    expect(deployment.spec!.template.metadata!.labels).toMatchObject(APP_LABEL);
  });

  it('exposes the ConfigMap SERVER_PORT as the named port http', () => {
    expect(podSpec.containers).toHaveLength(1);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(Number(config.SERVER_PORT)).toBe(3000);
  });

  it('probes /health/live (startup, liveness) and /health/ready (readiness) on port http', () => {
    expect(container.startupProbe!.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/health/ready', port: 'http' });
  });

  it('gives the startup probe a generous budget (at least 60 s)', () => {
    const { periodSeconds = 10, failureThreshold = 3 } = container.startupProbe!;
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(60);
  });

  it('takes its environment from the ConfigMap and the Secret', () => {
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata!.name } },
      { secretRef: { name: secret.metadata!.name } },
    ]);
  });

  it('sets CPU and memory requests and limits', () => {
    expect(container.resources!.requests).toEqual(
      expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
    );
    expect(container.resources!.limits).toEqual(
      expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
    );
  });

  it('runs non-root (uid 1000) on a read-only root filesystem, no privileges, RuntimeDefault seccomp', () => {
    expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext!.capabilities!.add).toBeUndefined();
  });

  it('mounts a writable emptyDir at /tmp', () => {
    const mount = container.volumeMounts!.find((m) => m.mountPath === '/tmp');
    expect(mount).toBeDefined();
    expect(mount!.readOnly).not.toBe(true);
    const volume = podSpec.volumes!.find((v) => v.name === mount!.name);
    expect(volume!.emptyDir).toBeDefined();
  });

  it('lets the app drain: grace > SHUTDOWN_DELAY_MS + PLIVO_TIMEOUT_MS (and the send deadline)', () => {
    const seconds = (name: string): number => {
      const value = Number(config[name]);
      expect(Number.isInteger(value) && value > 0).toBe(true);
      return value / 1000;
    };
    const grace = podSpec.terminationGracePeriodSeconds!;
    expect(grace).toBeGreaterThan(seconds('SHUTDOWN_DELAY_MS') + seconds('PLIVO_TIMEOUT_MS'));
    // A whole send (retries included) is bounded by PLIVO_SEND_DEADLINE_MS; the request that
    // carries it must also finish before SIGKILL.
    expect(grace).toBeGreaterThan(seconds('SHUTDOWN_DELAY_MS') + seconds('PLIVO_SEND_DEADLINE_MS'));
    // What main.ts waits for running requests: preflight + send deadline + 5 s final write.
    const preflight = configMap.data?.MEDIA_PREFLIGHT_TIMEOUT_MS
      ? seconds('MEDIA_PREFLIGHT_TIMEOUT_MS')
      : 3;
    expect(grace).toBeGreaterThan(
      seconds('SHUTDOWN_DELAY_MS') + preflight + seconds('PLIVO_SEND_DEADLINE_MS') + 5,
    );
    // Then the status callback deliveries under way end (CallbackWorker, before MongoDB closes).
    expect(grace).toBeGreaterThanOrEqual(
      seconds('SHUTDOWN_DELAY_MS') +
        preflight +
        seconds('PLIVO_SEND_DEADLINE_MS') +
        5 +
        seconds('STATUS_CALLBACK_TIMEOUT_MS'),
    );
  });

  it('prefers spreading replicas across nodes', () => {
    const byHost = podSpec.topologySpreadConstraints?.find(
      (c) => c.topologyKey === 'kubernetes.io/hostname',
    );
    const antiAffinity = podSpec.affinity?.podAntiAffinity;
    expect(byHost ?? antiAffinity).toBeDefined();
    if (byHost) expect(byHost.labelSelector!.matchLabels).toEqual(APP_LABEL);
  });
});

/** A Kubernetes memory quantity (512Mi, 1Gi, 500M…) in bytes. */
function bytesOf(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported quantity ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1);
}

/** The value of a --flag=value in NODE_OPTIONS, as a number. */
function nodeOption(options: string, flag: string): number | undefined {
  const value = new RegExp(`(?:^|\\s)--${flag}=(\\d+)(?:\\s|$)`).exec(options)?.[1];
  return value === undefined ? undefined : Number(value);
}

describe('deploy/k8s: memory, heap and the liveness heap check', () => {
  const nodeOptions = config.NODE_OPTIONS ?? '';
  const memoryLimit = bytesOf(String(container.resources!.limits!.memory));
  // A node process started as the container starts it (NODE_OPTIONS from the ConfigMap), asked
  // for V8's ceiling and for the threshold src/health computes from it.
  const [heapSizeLimit, liveness] = execFileSync(
    process.execPath,
    [
      '-r',
      require.resolve('ts-node/register/transpile-only'),
      '-e',
      `const v8 = require('node:v8');
       const { livenessHeapLimit } = require('./src/health/heap-limit');
       console.log(v8.getHeapStatistics().heap_size_limit, livenessHeapLimit());`,
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' },
  )
    .trim()
    .split(' ')
    .map(Number);

  it('NODE_OPTIONS sets the old and young generation sizes, and nothing else sets them', () => {
    expect(nodeOption(nodeOptions, 'max-old-space-size')).toBeGreaterThan(0);
    expect(nodeOption(nodeOptions, 'max-semi-space-size')).toBeGreaterThan(0);
    // One source of truth: the image does not set its own.
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).not.toMatch(
      /NODE_OPTIONS|max-old-space/,
    );
    expect(container.env ?? []).toEqual([]);
  });

  it("V8's heap ceiling with those flags leaves at least 40% of the memory limit outside the heap", () => {
    expect(heapSizeLimit).toBeGreaterThan(64 * 2 ** 20);
    expect(heapSizeLimit).toBeLessThanOrEqual(memoryLimit * 0.6);
  });

  it('is old space + 3 x semi-space on the Node major the image runs (what the README states)', () => {
    const imageMajor = /^FROM node:(\d+)/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))![1];
    const old = nodeOption(nodeOptions, 'max-old-space-size')!;
    const semi = nodeOption(nodeOptions, 'max-semi-space-size')!;
    if (process.versions.node.split('.')[0] !== imageMajor) return; // another V8: other sizing
    expect(heapSizeLimit).toBe((old + 3 * semi) * 2 ** 20);
  });

  it('liveness fails below the ceiling (before V8 aborts) and far below the memory limit (before the OOM kill)', () => {
    expect(liveness).toBe(Math.floor(heapSizeLimit * 0.9));
    expect(liveness).toBeLessThan(heapSizeLimit);
    expect(liveness).toBeLessThan(memoryLimit);
  });

  it('requests no more memory than the limit, and the init container fits in the same limits', () => {
    const { requests, limits } = container.resources!;
    expect(bytesOf(String(requests!.memory))).toBeLessThanOrEqual(memoryLimit);
    const init = podSpec.initContainers![0].resources!;
    expect(bytesOf(String(init.limits!.memory))).toBeLessThanOrEqual(memoryLimit);
    expect(init.limits!.cpu).toEqual(limits!.cpu);
  });
});

describe('deploy/k8s: indexes built by an explicit step (init container)', () => {
  const init = podSpec.initContainers ?? [];
  const scripts = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;

  it('one init container runs `npm run db:indexes` (node dist/db-indexes.js) with the app image', () => {
    expect(init).toHaveLength(1);
    expect(init[0].name).toBe('db-indexes');
    expect(init[0].command).toEqual(scripts['db:indexes'].split(' '));
    // Same image name, so `kustomize edit set image mms-gateway=…` moves both.
    expect(init[0].image).toBe(container.image);
  });

  it('with the same settings and restrictions as the app container', () => {
    expect(init[0].envFrom).toEqual(container.envFrom);
    expect(init[0].securityContext).toEqual(container.securityContext);
  });

  it('and the app neither builds indexes at start nor starts without them', () => {
    expect(config.MONGODB_AUTO_INDEX).toBe('false');
    expect(config.MONGODB_REQUIRE_INDEXES).toBe('true');
  });
});

describe('deploy/k8s: Service, HPA, PDB', () => {
  it('Service is a ClusterIP on port 80 to the named port http of the app pods', () => {
    expect(service.spec!.type).toBe('ClusterIP');
    expect(service.spec!.selector).toEqual(APP_LABEL);
    expect(service.spec!.ports).toEqual([
      expect.objectContaining({ port: 80, targetPort: 'http' }),
    ]);
  });

  it('HPA scales the Deployment 2..10 on 70% CPU', () => {
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata!.name,
    });
    expect(hpa.spec!.minReplicas).toBe(2);
    expect(hpa.spec!.maxReplicas).toBe(10);
    expect(hpa.spec!.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
  });

  it('PDB keeps one pod available and still allows a drain (minAvailable < minReplicas)', () => {
    expect(pdb.spec!.minAvailable).toBe(1);
    expect(pdb.spec!.selector!.matchLabels).toEqual(APP_LABEL);
    expect(pdb.spec!.minAvailable as number).toBeLessThan(hpa.spec!.minReplicas!);
  });
});

describe('deploy/k8s: configuration', () => {
  const documented = new Set(
    readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
      .filter((name): name is string => name !== undefined),
  );
  const configured = [...Object.keys(config), ...Object.keys(secret.stringData ?? {})];

  it('ConfigMap runs production with the expected settings', () => {
    expect(config).toMatchObject({
      NODE_ENV: 'production',
      SERVER_PORT: '3000',
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: '5000',
      THROTTLE_LIMIT: '100',
      THROTTLE_TTL_MS: '900000',
      METRICS_ENABLED: 'true',
      TRUST_PROXY: '1',
      DOCS_ENABLED: 'false',
      MONGODB_AUTO_INDEX: 'false',
      MONGODB_REQUIRE_INDEXES: 'true',
    });
    expect(config.PUBLIC_BASE_URL).toMatch(/^https:\/\//);
    for (const name of ['PLIVO_TIMEOUT_MS', 'PLIVO_MAX_RETRIES', 'PLIVO_SEND_DEADLINE_MS']) {
      expect(config[name]).toMatch(/^\d+$/);
    }
  });

  it('Secret is a template: stringData placeholders only, nothing in data', () => {
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toBeUndefined();
    expect(Object.keys(secret.stringData!).sort()).toEqual(
      [
        'API_KEYS',
        'MONGODB_URI',
        'PLIVO_AUTH_ID',
        'PLIVO_AUTH_TOKEN',
        'PLIVO_SENDER_NUMBER',
        'REDIS_URL',
        'STATUS_CALLBACK_SECRET',
        'METRICS_TOKEN',
      ].sort(),
    );
    for (const value of Object.values(secret.stringData!)) expect(value).toBe('REPLACE_ME');
  });

  it('the ConfigMap, with stand-ins for the Secret, is a valid production configuration', () => {
    const standIns = {
      PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
      PLIVO_AUTH_TOKEN: 'token',
      PLIVO_SENDER_NUMBER: '+14155550100',
      MONGODB_URI: 'mongodb://mongo:27017/mms',
      API_KEYS: 'a-client-key-of-16+-characters',
      REDIS_URL: 'redis://redis:6379',
      STATUS_CALLBACK_SECRET: 'a-status-callback-secret-of-32+-characters',
      METRICS_TOKEN: 'a-metrics-token-of-16+-characters',
    };
    expect(Object.keys(standIns).sort()).toEqual(Object.keys(secret.stringData!).sort());
    const loaded = loadConfiguration({ ...config, ...standIns });
    expect(loaded.app.nodeEnv).toBe('production');
    expect(loaded.database).toMatchObject({ autoIndex: false, requireIndexes: true });
    expect(loaded.http.throttle.redisUrl).toBe(standIns.REDIS_URL);
    expect(loaded.http.shutdownDelayMs).toBe(Number(config.SHUTDOWN_DELAY_MS));
    expect(loaded.statusCallbacks.secrets).toEqual([standIns.STATUS_CALLBACK_SECRET]);
    // /metrics behind the Secret's token, /docs not served.
    expect(loaded.http).toMatchObject({ metricsEnabled: true, docsEnabled: false });
    expect(loaded.http.metricsTokenDigest).toBeDefined();
  });

  it('REDIS_URL (the limit shared by the replicas) comes from the Secret, which is not optional', () => {
    expect(secret.stringData).toHaveProperty('REDIS_URL');
    expect(config).not.toHaveProperty('REDIS_URL');
    for (const source of container.envFrom!) expect(source.secretRef?.optional).toBeFalsy();
    // The notes on what happens without it.
    for (const file of ['secret.yaml', 'configmap.yaml'])
      expect(readFileSync(join(K8S_DIR, file), 'utf8')).toMatch(
        /(each|every) pod counts on its own/,
      );
  });

  it('ConfigMap and Secret do not overlap (the Secret would silently win)', () => {
    expect(Object.keys(config).filter((name) => name in secret.stringData!)).toEqual([]);
  });

  it('every variable set is documented in .env.example', () => {
    const undocumented = configured.filter((name) => !documented.has(name));
    expect(undocumented).toEqual([]);
  });
});

describe('deploy/k8s: kustomization', () => {
  it('lists every manifest in the directory, once', () => {
    const kustomization = loadManifest('kustomization.yaml') as Manifest & { resources?: string[] };
    expect(kustomization.kind).toBe('Kustomization');
    const files = readdirSync(K8S_DIR).filter(
      (f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml',
    );
    expect([...kustomization.resources!].sort()).toEqual(files.sort());
    expect(Object.keys(RESOURCES).sort()).toEqual(files.sort());
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // Instructions of the final (runtime) stage: everything after the last FROM.
  const stages = dockerfile.split(/^FROM\s/m).slice(1);
  const runtime = stages[stages.length - 1];

  it('is multi-stage on node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^node:20-bookworm-slim\b/);
  });

  it('installs from the lockfile, builds, then prunes devDependencies', () => {
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('runtime stage: NODE_ENV=production, non-root USER, port 3000', () => {
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    expect(runtime).toMatch(/^USER (node|1000)(:\S+)?$/m);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
    expect(runtime).not.toMatch(/^RUN npm (ci|install)\b/m);
  });

  it('starts node directly with an exec-form CMD (SIGTERM reaches node)', () => {
    const cmd = /^CMD (.+)$/m.exec(runtime)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', 'dist/main.js']);
    expect(runtime).not.toMatch(/^ENTRYPOINT /m);
  });

  it("runtime stage ships docs/ beside dist/ (the pages Swagger UI's links open), in the build context", () => {
    expect(runtime).toMatch(/^COPY docs \.\/docs$/m);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored.lastIndexOf('!docs/*.md')).toBeGreaterThan(ignored.lastIndexOf('*.md'));
  });

  it('.dockerignore keeps local state and secrets out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', '.git', '.data', '.env', 'coverage', 'test']) {
      expect(ignored).toContain(entry);
    }
  });
});
