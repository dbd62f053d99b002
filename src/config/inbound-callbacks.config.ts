import { outboundUrlProblem } from '../shared/outbound-address';
import type { ClientsConfig } from './clients.config';
import type { SendersConfig } from './senders.config';
import { signingSecretsFor, StatusCallbacksConfig } from './status-callbacks.config';

/**
 * INBOUND_CALLBACK_URLS against the status callbacks' settings, once both are valid: each
 * entry's URL must pass the callback URLs' address policy (https, or http where MEDIA_ALLOW_HTTP
 * allows; a private or loopback host only when STATUS_CALLBACK_ALLOWED_HOSTS lists it; checked
 * again at each delivery), its client must have a secret to sign with, and some number must be
 * its (a SENDER_NUMBERS pool or INBOUND_CLIENTS), else nothing would ever reach it. Entries are
 * named by position, like buildSendersConfig's.
 */
export function inboundCallbackProblems(
  senders: SendersConfig,
  callbacks: StatusCallbacksConfig,
  clients: ClientsConfig,
): string[] {
  const privateHostsAllowed = new Set(callbacks.allowedHosts);
  const owners = new Set([
    ...Object.values(senders.owners),
    ...Object.values(clients.inboundClients),
  ]);
  const problems: string[] = [];
  Object.entries(senders.inboundCallbackUrls).forEach(([name, url], index) => {
    const where = `INBOUND_CALLBACK_URLS: entry ${index + 1}`;
    const problem = outboundUrlProblem(url, {
      allowHttp: callbacks.allowHttp,
      privateHostsAllowed,
    });
    if (problem) problems.push(`${where}: ${problem}`);
    else if (signingSecretsFor(callbacks, name).length === 0)
      problems.push(
        `${where}: "${name}" has no secret to sign with (STATUS_CALLBACK_SECRET, or a STATUS_CALLBACK_CLIENT_SECRETS entry for it): message.received events are signed`,
      );
    else if (!owners.has(name))
      problems.push(
        `${where}: no number is "${name}"'s (SENDER_NUMBERS or INBOUND_CLIENTS): nothing would reach this URL`,
      );
  });
  return problems;
}
