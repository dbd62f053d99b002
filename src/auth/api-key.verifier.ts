import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { AllConfig } from '../config/config.type';
import { sha256, sha256Hex } from '../shared/crypto';

/** The client's key from X-API-Key or Authorization: Bearer, if any. */
export function presentedApiKey(req: Request): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return bearer?.[1];
}

/**
 * The client id of an API key: a short digest, so neither logs, Redis nor MongoDB ever hold
 * a key in clear. Computed here only.
 */
export function apiKeyClientId(key: string): string {
  return sha256Hex(key).slice(0, 32);
}

/**
 * Keys are compared as SHA-256 digests with timingSafeEqual, against every configured key, so
 * neither the length nor the prefix of a key leaks through response timing.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly digests: Buffer[];

  constructor(config: ConfigService<AllConfig, true>) {
    this.digests = config.get('http.apiKeyDigests', { infer: true });
  }

  /** False when API_KEYS is empty (sandbox/development only; production refuses to start). */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  matches(key: string | undefined): boolean {
    if (!key) return false;
    const digest = sha256(key);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(known, digest) || ok;
    return ok;
  }
}
