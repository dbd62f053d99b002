import { buildAppConfig, SandboxState } from './app.config';
import { buildCampaignMonitorConfig } from './campaign-monitor.config';
import { buildClientsConfig } from './clients.config';
import type { AllConfig } from './config.type';
import { buildDatabaseConfig } from './database.config';
import { buildDispatchConfig } from './dispatch.config';
import { buildHttpConfig } from './http.config';
import { inboundCallbackProblems } from './inbound-callbacks.config';
import { buildOptOutsConfig } from './opt-outs.config';
import { buildPendingReconcilerConfig } from './pending-reconciler.config';
import { buildPlivoConfig, PlivoConfig } from './plivo.config';
import { buildSendConfig, SendConfig } from './send.config';
import { buildSendersConfig } from './senders.config';
import { buildStatusCallbacksConfig } from './status-callbacks.config';
import { ConfigurationError, Environment, withoutBlanks } from './validate-config';

/**
 * The service's whole configuration, validated at once from the environment an entry point
 * passes in (blank variables count as not set). Every bad variable of every namespace is named
 * in one ConfigurationError, so fixing a `.env` takes one try, not five.
 */
export function loadConfiguration(env: Environment, sandbox?: SandboxState): AllConfig {
  const vars = withoutBlanks(env);
  const problems: string[] = [];
  const section = <T>(build: () => T): T | undefined => {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const config = {
    app: section(() => buildAppConfig(vars, sandbox)),
    plivo: section(() => buildPlivoConfig(vars)),
    database: section(() => buildDatabaseConfig(vars)),
    http: section(() => buildHttpConfig(vars)),
    clients: section(() => buildClientsConfig(vars)),
    send: section(() => buildSendConfig(vars)),
    optOuts: section(() => buildOptOutsConfig(vars)),
    statusCallbacks: section(() => buildStatusCallbacksConfig(vars)),
    dispatch: section(() => buildDispatchConfig(vars, sandbox)),
    campaignMonitor: section(() => buildCampaignMonitorConfig(vars)),
  };
  // Pools name clients and exclude PLIVO_SENDER_NUMBER: checked once both are valid.
  const { clients, plivo } = config;
  const senders =
    clients && plivo
      ? section(() => buildSendersConfig(vars, clients, plivo.senderNumber))
      : undefined;
  // message.received events are signed and delivered like status callbacks: checked against
  // their settings once both sections are valid.
  const { statusCallbacks } = config;
  if (senders && statusCallbacks && clients)
    problems.push(...inboundCallbackProblems(senders, statusCallbacks, clients));
  const longest = config.plivo && config.send && longestRequestMs(config.plivo, config.send);
  // Checked against the longest request, so only once the two it is made of are valid.
  const pendingReconciler = longest
    ? section(() => buildPendingReconcilerConfig(vars, longest))
    : undefined;
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { ...config, senders, pendingReconciler } as AllConfig;
}

/**
 * The longest a request can run: media preflight, then sends (SMS fallback included) inside
 * one PLIVO_SEND_DEADLINE_MS, then its final write. Shutdown waits this long for handlers, and
 * an Idempotency-Key reservation is presumed alive this long.
 */
export function longestRequestMs(
  plivo: Pick<PlivoConfig, 'sendDeadlineMs'>,
  send: Pick<SendConfig, 'mediaPreflightTimeoutMs'>,
): number {
  return plivo.sendDeadlineMs + send.mediaPreflightTimeoutMs + 5000;
}
