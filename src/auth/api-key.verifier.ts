import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { AllConfig } from '../config/config.type';
import { sha256 } from '../shared/crypto';
import { Client, clientOf, OPEN_ACCESS_CLIENT } from './client';

/** The client's key from X-API-Key or Authorization: Bearer, if any. */
export function presentedApiKey(req: Request): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return bearer?.[1];
}

/**
 * Keys are compared as SHA-256 digests with timingSafeEqual, against every configured key, so
 * neither the length nor the prefix of a key leaks through response timing.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly keys: { digest: Buffer; client: Client }[];
  /** Every caller while API_KEYS is empty: an admin only if the sandbox said so. */
  readonly openAccessClient: Client;

  constructor(config: ConfigService<AllConfig, true>) {
    this.keys = config
      .get('clients', { infer: true })
      .keys.map((key) => ({ digest: key.digest, client: clientOf(key) }));
    const admin = config.get('app.sandbox', { infer: true })?.openAccessAdmin === true;
    this.openAccessClient = { ...OPEN_ACCESS_CLIENT, admin };
  }

  /** False when API_KEYS is empty (sandbox/development only; production refuses to start). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The client a key belongs to, or undefined; an admin entry wins over a plain one. */
  identify(key: string | undefined): Client | undefined {
    if (!key) return undefined;
    const digest = sha256(key);
    let found: Client | undefined;
    for (const known of this.keys) {
      const equal = timingSafeEqual(known.digest, digest);
      if (equal && (!found || known.client.admin)) found = known.client;
    }
    return found;
  }
}
