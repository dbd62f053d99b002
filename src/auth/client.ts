import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { BARE_KEY_ID_PREFIX, ClientKey, OPEN_ACCESS_ID } from '../config/clients.config';

/** Who is calling: the client an API key belongs to. Logs, metrics and the log store the id. */
export interface Client {
  /**
   * The `name` of a `name:key` entry, else `key-` + a short digest of the key (never the key).
   * No name may start with `key-` or be `anonymous` (buildClientsConfig refuses them), so a
   * named client never takes a bare key's id or the open-access one.
   */
  id: string;
  /** May read every client's messages (ADMIN_API_KEYS). */
  admin: boolean;
}

/**
 * With API_KEYS empty (outside production only) every caller is this client: never an admin
 * unless the sandbox entry point says so (SandboxState.openAccessAdmin, ApiKeyVerifier).
 */
export const OPEN_ACCESS_CLIENT: Client = { id: OPEN_ACCESS_ID, admin: false };

/** The one place a client id is computed. */
export function clientOf(key: ClientKey): Client {
  const id = key.name ?? `${BARE_KEY_ID_PREFIX}${key.digest.toString('hex').slice(0, 12)}`;
  return { id, admin: key.admin };
}

export type RequestWithClient = Request & { client?: Client };

/** The authenticated client of a client route (set by ApiKeyGuard). */
export const CurrentClient = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const client = context.switchToHttp().getRequest<RequestWithClient>().client;
  if (!client) throw new Error('CurrentClient used on a route ApiKeyGuard did not authenticate');
  return client;
});
