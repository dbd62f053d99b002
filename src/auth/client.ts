import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { ClientKey } from '../config/clients.config';

/** Who is calling: the client an API key belongs to. Logs, metrics and the log store the id. */
export interface Client {
  /** The `name` of a `name:key` entry, else `key-` + a short digest of the key (never the key). */
  id: string;
  /** May read every client's messages (ADMIN_API_KEYS). */
  admin: boolean;
}

/** With API_KEYS empty (outside production only) every caller is this client. */
export const OPEN_ACCESS_CLIENT: Client = { id: 'anonymous', admin: true };

/** The one place a client id is computed. */
export function clientOf(key: ClientKey): Client {
  return { id: key.name ?? `key-${key.digest.toString('hex').slice(0, 12)}`, admin: key.admin };
}

export type RequestWithClient = Request & { client?: Client };

/** The authenticated client of a client route (set by ApiKeyGuard). */
export const CurrentClient = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const client = context.switchToHttp().getRequest<RequestWithClient>().client;
  if (!client) throw new Error('CurrentClient used on a route ApiKeyGuard did not authenticate');
  return client;
});
