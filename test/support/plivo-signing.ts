import { randomInt } from 'node:crypto';
import request from 'supertest';
import { computeV2Signature, computeV3Signature } from '../../src/mms/webhooks/plivo-signature';

export const nonce = () => Array.from({ length: 20 }, () => randomInt(10)).join('');

export interface SignedPostOptions {
  /** The token to sign with (default: the app's PLIVO_AUTH_TOKEN). */
  token: string;
  /** The URL to sign (default: the app's base URL + path). */
  signedUrl?: string;
  json?: boolean;
  headers?: Record<string, string>;
  v2?: boolean;
}

/** Posts a webhook as Plivo would: form-encoded (or JSON) and V3-signed (or V2). */
export function postSigned(
  baseUrl: string,
  path: string,
  params: Record<string, string>,
  options: SignedPostOptions,
) {
  const url = options.signedUrl ?? baseUrl + path;
  const n = nonce();
  const headers: Record<string, string> = options.v2
    ? {
        'X-Plivo-Signature-V2': computeV2Signature({ url, nonce: n, authToken: options.token }),
        'X-Plivo-Signature-V2-Nonce': n,
      }
    : {
        'X-Plivo-Signature-V3': computeV3Signature({
          method: 'POST',
          url,
          params,
          nonce: n,
          authToken: options.token,
        }),
        'X-Plivo-Signature-V3-Nonce': n,
      };
  return request(baseUrl)
    .post(path)
    .type(options.json ? 'json' : 'form')
    .set({ ...headers, ...options.headers })
    .send(params);
}
