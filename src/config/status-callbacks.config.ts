import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { outboundUrlProblem } from '../shared/outbound-address';
import { mediaAllowHttp } from './send.config';
import { ConfigurationError, Environment, splitList, validateConfig } from './validate-config';

const HOUR_MS = 3_600_000;

class StatusCallbacksEnv {
  /** Comma-separated: every secret signs each callback (rotation). Unset = callbacks off. */
  @IsOptional()
  @IsString()
  STATUS_CALLBACK_SECRET?: string;

  /** Comma-separated `name:secret`: a client's own signing secret(s), instead of the shared one. */
  @IsOptional()
  @IsString()
  STATUS_CALLBACK_CLIENT_SECRETS?: string;

  /** Comma-separated `host:port` that may resolve to private addresses. */
  @IsOptional()
  @IsString()
  STATUS_CALLBACK_ALLOWED_HOSTS?: string;

  /** Comma-separated `name:url`: a client's callback URL when a send names none. */
  @IsOptional()
  @IsString()
  STATUS_CALLBACK_URLS?: string;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  STATUS_CALLBACK_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(HOUR_MS)
  STATUS_CALLBACK_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(7 * 24 * HOUR_MS)
  STATUS_CALLBACK_MAX_AGE_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(20)
  @Max(60_000)
  STATUS_CALLBACK_POLL_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  STATUS_CALLBACK_CONCURRENCY?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  STATUS_CALLBACK_HOST_CONCURRENCY?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  STATUS_CALLBACK_CLIENT_CONCURRENCY?: number;
}

/** Signed status callbacks to clients (docs/status-callbacks.md). */
export interface StatusCallbacksConfig {
  /** Signing secrets, newest first; empty = callbacks off (a statusCallbackUrl is refused). */
  secrets: string[];
  /** A client's own secrets (newest first), used for its messages instead of `secrets`. */
  clientSecrets: ReadonlyMap<string, string[]>;
  /** `host:port` (lower-case) exempt from the private-address refusal. */
  allowedHosts: string[];
  /** Client name → its default callback URL. */
  defaultUrls: ReadonlyMap<string, string>;
  /** http: callback URLs too (MEDIA_ALLOW_HTTP: the same address policy as media). */
  allowHttp: boolean;
  timeoutMs: number;
  retryBaseMs: number;
  /** The longest wait between two attempts. */
  retryCapMs: number;
  maxAgeMs: number;
  /** How often each replica looks for due events. */
  pollMs: number;
  /** Events one replica delivers at once. */
  concurrency: number;
  /** Of those, the most to one `host:port`: a slow or dead endpoint leaves the others lanes. */
  hostConcurrency: number;
  /**
   * Of those, the most to one client's URLs: a client whose URLs point at several slow or dead
   * endpoints (ports, subdomains) still leaves the other clients lanes.
   */
  clientConcurrency: number;
  /** How long a claimed event is a worker's: the request's timeout plus room for its writes. */
  leaseMs: number;
}

const MIN_SECRET_LENGTH = 32;

export function buildStatusCallbacksConfig(env: Environment): StatusCallbacksConfig {
  const valid = validateConfig(env, StatusCallbacksEnv);
  const problems: string[] = [];
  const secrets = splitList(valid.STATUS_CALLBACK_SECRET);
  const tooShort = (variable: string, where: string) =>
    problems.push(
      `${variable}: ${where} is shorter than ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  secrets.forEach((secret, i) => {
    if (secret.length < MIN_SECRET_LENGTH) tooShort('STATUS_CALLBACK_SECRET', `secret ${i + 1}`);
  });
  // name:secret, a name repeated while its secret is rotated (the new one first). Problems name
  // an entry by position, never by its text.
  const clientSecrets = new Map<string, string[]>();
  splitList(valid.STATUS_CALLBACK_CLIENT_SECRETS).forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, Math.max(colon, 0));
    const secret = entry.slice(colon + 1);
    if (colon <= 0)
      problems.push(`STATUS_CALLBACK_CLIENT_SECRETS: entry ${i + 1} is not name:secret`);
    else if (secret.length < MIN_SECRET_LENGTH)
      tooShort('STATUS_CALLBACK_CLIENT_SECRETS', `entry ${i + 1}'s secret`);
    else clientSecrets.set(name, [...(clientSecrets.get(name) ?? []), secret]);
  });
  const allowedHosts = splitList(valid.STATUS_CALLBACK_ALLOWED_HOSTS).map((h) => h.toLowerCase());
  for (const host of allowedHosts)
    if (!/^[^\s:/]+:\d{1,5}$|^\[[0-9a-f:.]+\]:\d{1,5}$/.test(host))
      problems.push(`STATUS_CALLBACK_ALLOWED_HOSTS: "${host}" is not host:port`);
  // The media URLs' policy: http only while MEDIA_ALLOW_HTTP (validated by send.config).
  const allowHttp = mediaAllowHttp(env);
  const privateHostsAllowed = new Set(allowedHosts);
  const defaultUrls = new Map<string, string>();
  for (const entry of splitList(valid.STATUS_CALLBACK_URLS)) {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, colon);
    const url = entry.slice(colon + 1);
    const problem =
      colon <= 0 ? 'not name:url' : outboundUrlProblem(url, { allowHttp, privateHostsAllowed });
    if (problem) problems.push(`STATUS_CALLBACK_URLS: entry for "${name}": ${problem}`);
    else if (secrets.length === 0 && !clientSecrets.has(name))
      problems.push(
        `STATUS_CALLBACK_URLS: entry for "${name}": no STATUS_CALLBACK_SECRET nor a STATUS_CALLBACK_CLIENT_SECRETS entry for it (callbacks are signed)`,
      );
    else defaultUrls.set(name, url);
  }
  const concurrency = valid.STATUS_CALLBACK_CONCURRENCY ?? 10;
  for (const variable of [
    'STATUS_CALLBACK_HOST_CONCURRENCY',
    'STATUS_CALLBACK_CLIENT_CONCURRENCY',
  ] as const)
    if ((valid[variable] ?? 0) > concurrency)
      problems.push(
        `${variable}: ${valid[variable]} is more than STATUS_CALLBACK_CONCURRENCY (${concurrency})`,
      );
  const hostConcurrency = valid.STATUS_CALLBACK_HOST_CONCURRENCY ?? Math.min(2, concurrency);
  if (problems.length > 0) throw new ConfigurationError(problems);
  const timeoutMs = valid.STATUS_CALLBACK_TIMEOUT_MS ?? 5000;
  return {
    secrets,
    clientSecrets,
    allowedHosts,
    defaultUrls,
    allowHttp,
    timeoutMs,
    retryBaseMs: valid.STATUS_CALLBACK_RETRY_BASE_MS ?? 10_000,
    retryCapMs: HOUR_MS,
    maxAgeMs: valid.STATUS_CALLBACK_MAX_AGE_MS ?? 24 * HOUR_MS,
    pollMs: valid.STATUS_CALLBACK_POLL_MS ?? 1000,
    concurrency,
    hostConcurrency,
    // Half the lanes (rounded up), so one client's dead endpoints leave the other half to the
    // rest; but not below the host cap, so a client with a single endpoint still gets what
    // STATUS_CALLBACK_HOST_CONCURRENCY allows it.
    clientConcurrency:
      valid.STATUS_CALLBACK_CLIENT_CONCURRENCY ??
      Math.min(concurrency, Math.max(hostConcurrency, Math.ceil(concurrency / 2))),
    leaseMs: timeoutMs + 10_000,
  };
}

/** The secrets that sign a client's callbacks: its own, else the shared ones (maybe none). */
export function signingSecretsFor(config: StatusCallbacksConfig, clientId: string | undefined) {
  return (clientId !== undefined && config.clientSecrets.get(clientId)) || config.secrets;
}
