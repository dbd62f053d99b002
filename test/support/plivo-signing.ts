import request from 'supertest';
import { plivoNonce, signWebhook } from '../../sandbox/plivo-simulator/signed-webhook';

/** A fresh nonce in Plivo's format, for tests that sign by hand. */
export const nonce = plivoNonce;

export interface SignedPostOptions {
  /** The token to sign with (default: the app's PLIVO_AUTH_TOKEN). */
  token: string;
  /** The URL to sign (default: the app's base URL + path). */
  signedUrl?: string;
  json?: boolean;
  headers?: Record<string, string>;
  v2?: boolean;
}

/** Only the X-Plivo-Signature-* headers of a webhook signed as Plivo signs it. */
export function signatureHeaders(options: {
  url: string;
  params: Record<string, string>;
  token: string;
  nonce?: string;
  v2?: boolean;
}): Record<string, string> {
  const signed = signWebhook({
    url: options.url,
    method: 'POST',
    params: options.params,
    authToken: options.token,
    nonce: options.nonce,
    version: options.v2 ? 'v2' : 'v3',
  });
  return Object.fromEntries(
    Object.entries(signed.headers).filter(([name]) => name.startsWith('X-Plivo-Signature-')),
  );
}

/** Posts a webhook as Plivo would: form-encoded (or JSON) and V3-signed (or V2). */
export function postSigned(
  baseUrl: string,
  path: string,
  params: Record<string, string>,
  options: SignedPostOptions,
) {
  // Only the signature headers: supertest encodes the same params as a form or, with `json`, as
  // JSON (the V3 signature covers the params, not the body's encoding), and sets Content-Type.
  const signature = signatureHeaders({
    url: options.signedUrl ?? baseUrl + path,
    params,
    token: options.token,
    v2: options.v2,
  });
  return request(baseUrl)
    .post(path)
    .type(options.json ? 'json' : 'form')
    .set({ ...signature, ...options.headers })
    .send(params);
}
