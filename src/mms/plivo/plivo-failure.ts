/**
 * What a failed Plivo call means for us. The SDK makes this harder than it should be (plivo-node
 * 4.79, `lib/rest/axios.js` and `lib/utils/restException.js`): its errors carry no `statusCode`;
 * some carry `status`, some only a message like "Request failed with status code 429"; timeouts
 * and refused connections reject with a plain string (the axios stack); and `instanceof` on its
 * error classes is always false.
 */
export type PlivoFailureKind =
  | 'rejected' // Plivo refused the request (4xx): the caller's input or our account settings
  | 'auth' // 401/403: our credentials or account are wrong (operator problem)
  | 'throttled' // 429
  | 'unavailable' // 502/503 from Plivo's edge: the request never reached the Message API
  | 'network' // the request never reached Plivo (refused or unreachable at connect, DNS, TLS handshake)
  | 'ambiguous' // timeout, reset after the request was written, 500, 504…: it may have been queued
  | 'unexpected'; // an SDK-side error before any HTTP call

export interface PlivoFailure {
  kind: PlivoFailureKind;
  httpStatus?: number;
  /** Safe to show and to log: never the SDK's raw error, which embeds the request body. */
  reason: string;
  /** True only when the message certainly was not created, so sending again cannot duplicate it. */
  retryable: boolean;
}

const STATUS_IN_MESSAGE = /status code (\d{3})/i;
/**
 * Failures that provably created nothing, read on the error's own line (Node's message: the
 * syscall, then the code). Node's https holds the request until the TLS handshake completes, so
 * each of these ended before one byte of it was written. The same codes once connected
 * (`read EHOSTUNREACH`, `read ECONNRESET`, `write EPIPE`), or a TLS alert that may follow the
 * request, are not among them.
 */
const NOT_SENT = [
  // The connection was never set up.
  /\bconnect (?:ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET)\b/,
  // The name did not resolve.
  /\bgetaddrinfo (?:ENOTFOUND|EAI_AGAIN)\b|^(?:ENOTFOUND|EAI_AGAIN)\b/,
  /before secure TLS connection was established/,
  // Node's own check of Plivo's certificate (self-signed, expired, untrusted, wrong name): no
  // OpenSSL error line, which an alert from the server would be.
  /^(?![^\n]*SSL routines)[^\n]*(?:certificate|ERR_TLS_CERT_)/i,
  // Plivo's answer to our ClientHello ended the handshake (plain HTTP, no common version).
  /SSL routines:[^:\n]*:(?:wrong version number|unsupported protocol|unknown protocol|no protocols available|(?:sslv3|tlsv1) alert (?:handshake failure|protocol version))\b/,
];
const MAYBE_SENT = /timeout|ETIMEDOUT|ECONNABORTED|ECONNRESET|socket hang up|EPIPE|aborted/i;

export function classifyPlivoFailure(error: unknown): PlivoFailure {
  if (typeof error === 'string') return classifyTransportFailure(error);
  if (error instanceof Error || (typeof error === 'object' && error !== null)) {
    const e = error as { status?: unknown; message?: unknown; code?: unknown };
    const message = typeof e.message === 'string' ? e.message : '';
    const status =
      typeof e.status === 'number'
        ? e.status
        : Number(STATUS_IN_MESSAGE.exec(message)?.[1]) || undefined;
    if (status !== undefined) return classifyHttpStatus(status, plivoReason(e.message));
    if (typeof e.code === 'string' || provablyNotSent(message) || MAYBE_SENT.test(message)) {
      return classifyTransportFailure(`${String(e.code ?? '')} ${message}`);
    }
    return {
      kind: 'unexpected',
      reason: 'The Plivo client failed before sending',
      retryable: false,
    };
  }
  return { kind: 'unexpected', reason: 'The Plivo client failed before sending', retryable: false };
}

export function classifyHttpStatus(status: number, plivoMessage?: string): PlivoFailure {
  const detail = plivoMessage ? `: ${plivoMessage}` : '';
  if (status === 401 || status === 403) {
    return {
      kind: 'auth',
      httpStatus: status,
      reason: `Plivo refused our credentials (${status})${detail}`,
      retryable: false,
    };
  }
  if (status === 429) {
    return {
      kind: 'throttled',
      httpStatus: status,
      reason: 'Plivo rate limit reached (429)',
      retryable: true,
    };
  }
  if (status === 502 || status === 503) {
    // Plivo's edge (load balancer) answers these when the Message API did not take the request.
    return {
      kind: 'unavailable',
      httpStatus: status,
      reason: `Plivo is unavailable (${status})`,
      retryable: true,
    };
  }
  if (status >= 500 || status < 400) {
    // A 500 (documented for the Message API: docs.plivo.com/docs/messaging/api/response) can
    // come after Plivo queued the message; a 504 means a gateway gave up waiting; any other
    // answer but a 4xx (a refusal) does not say what became of the message either. Never
    // resent: its status callback settles it.
    return {
      kind: 'ambiguous',
      httpStatus: status,
      reason:
        status === 500
          ? 'Plivo internal error (500)'
          : status >= 500
            ? `Plivo gateway error (${status})`
            : `Unexpected answer from Plivo (${status})`,
      retryable: false,
    };
  }
  return {
    kind: 'rejected',
    httpStatus: status,
    reason: plivoMessage
      ? `Plivo rejected the message: ${plivoMessage}`
      : `Plivo rejected the message (${status})`,
    retryable: false,
  };
}

function provablyNotSent(line: string): boolean {
  return NOT_SENT.some((pattern) => pattern.test(line));
}

function classifyTransportFailure(text: string): PlivoFailure {
  // The error's own line only: the stack's file paths below it may say anything.
  const firstLine = text.split('\n', 1)[0].slice(0, 500).trim();
  if (provablyNotSent(firstLine)) {
    return {
      kind: 'network',
      reason: `Plivo could not be reached (${errorCode(firstLine) ?? 'connection failed'})`,
      retryable: true,
    };
  }
  if (MAYBE_SENT.test(firstLine)) {
    return {
      kind: 'ambiguous',
      reason: `No answer from Plivo (${errorCode(firstLine) ?? 'timeout'})`,
      retryable: false,
    };
  }
  return { kind: 'ambiguous', reason: 'The connection to Plivo failed', retryable: false };
}

function errorCode(text: string): string | undefined {
  return /\b(E[A-Z_]{3,}|timeout of \d+ms exceeded|socket hang up)\b/.exec(text)?.[1];
}

/** Plivo's `error` field: a string, or sometimes an object (e.g. per-field errors). */
function plivoReason(message: unknown): string | undefined {
  if (typeof message === 'string') {
    if (!message || STATUS_IN_MESSAGE.test(message) || message.startsWith('AxiosError'))
      return undefined;
    return message.slice(0, 500);
  }
  if (message && typeof message === 'object') return JSON.stringify(message).slice(0, 500);
  return undefined;
}
