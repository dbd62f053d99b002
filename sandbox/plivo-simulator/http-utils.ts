/**
 * The simulator's plain node:http plumbing: reading and parsing request bodies, and writing out
 * what the simulator decided to answer (or deliberately not answering at all).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the simulator decided to do with one request. */
export type Outcome =
  | { kind: 'answer'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'timeout' }
  | { kind: 'reset' };

export type ParsedBody =
  { ok: true; value: Record<string, unknown> | undefined } | { ok: false; raw: string };

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The SDK sends JSON; Plivo also takes form data. Repeated form keys become arrays. */
export function parseBody(raw: string, contentType: string | undefined): ParsedBody {
  if (raw.trim() === '') return { ok: true, value: undefined };
  const isForm = (contentType ?? '').includes('application/x-www-form-urlencoded');
  if (!isForm) {
    try {
      const value: unknown = JSON.parse(raw);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        return { ok: true, value: value as Record<string, unknown> };
      }
    } catch {
      // fall through
    }
    return { ok: false, raw };
  }
  const value: Record<string, string | string[]> = {};
  for (const [key, item] of new URLSearchParams(raw)) {
    const existing = value[key];
    value[key] =
      existing === undefined ? item : [...(Array.isArray(existing) ? existing : [existing]), item];
  }
  return { ok: true, value };
}

export function deliver(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  if (outcome.kind === 'timeout') return; // hold the socket: stop() or the client ends it
  if (outcome.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  if (res.writableEnded || res.destroyed) return; // the client already gave up
  const isText = typeof outcome.body === 'string';
  const payload = isText ? (outcome.body as string) : JSON.stringify(outcome.body);
  res.writeHead(outcome.status, {
    'Content-Type': isText ? 'text/html; charset=utf-8' : 'application/json',
    ...outcome.headers,
  });
  res.end(payload);
}

/** A host to put in a URL: wildcard listen addresses become loopback, IPv6 gets brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
