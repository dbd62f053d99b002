/**
 * What the bench's requests are made of (the account, the sender, the API key, the destinations
 * and bodies of sends) and where its files live. Defined once for every scenario and the seeder.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
export const RESULTS_DIR = join(__dirname, 'results');

export const AUTH_ID = 'MABENCH000000000000';
export const SENDER = '+14155550100';
export const API_KEY = `bench-${randomBytes(16).toString('hex')}`;
/** Production requires METRICS_TOKEN; the bench reads /metrics with it. */
export const METRICS_TOKEN = `bench-metrics-${randomBytes(16).toString('hex')}`;
/** The client the bench's key belongs to (API_KEYS=name:key): seeded messages carry it. */
export const CLIENT_ID = 'bench';
export const MEDIA_URL = 'https://media.example.com/bench/hello.gif';

/** The service's routes the load goes to (its webhook routes: PLIVO_WEBHOOK_ROUTES). */
export const SEND_PATH = '/send-mms';
export const MESSAGES_PATH = '/messages';

/** 1,000 US numbers the sends rotate through. */
export const DESTINATIONS = Array.from(
  { length: 1000 },
  (_, i) => `+1415765${String(1001 + i).padStart(4, '0')}`,
);

/** The JSON body of the i-th `POST /send-mms` (with a statusCallbackUrl if given). */
export function sendBody(i: number, statusCallbackUrl?: string): string {
  return JSON.stringify({
    destinationNumber: DESTINATIONS[i % DESTINATIONS.length],
    messageText: `Benchmark message ${i}: your order has shipped.`,
    mediaUrl: MEDIA_URL,
    ...(statusCallbackUrl ? { statusCallbackUrl } : {}),
  });
}

/** A message a send created: the service's id and Plivo's message UUID. */
export interface Created {
  id: string;
  uuid: string;
}

/** The message a 202 answer of `POST /send-mms` reports. */
export function parseCreated(body: string): Created {
  const parsed = JSON.parse(body) as {
    messageId: string;
    plivoResponse: { messageUuid: string[] };
  };
  return { id: parsed.messageId, uuid: parsed.plivoResponse.messageUuid[0] };
}
