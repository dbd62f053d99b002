/**
 * In-process stand-in for api.plivo.com, used by the local sandbox mode and by tests.
 *
 * The real `plivo` SDK is pointed at it with
 *   new plivo.Client(authId, authToken, { url: `${sim.baseUrl}/v1/Account/${authId}`, timeout })
 * so it answers the Send Message API the way Plivo does (202 + message_uuid array, `{api_id, error}`
 * on failure), sends signed status callbacks (queued → sent → delivered|failed) with Plivo's retry
 * policy, can fake inbound MMS webhooks, and lets tests inject transport failures
 * (HTTP errors, timeouts, resets and the ambiguous "accepted but never answered" case).
 * With `rates` (or setRates(), or `POST /_sim/rates`; off by default) it models Plivo's account and
 * per-number rates and its queue expiry (rate-queue.ts): what exceeds them is still answered 202,
 * waits after its `queued` callback, then gets `sent` at its slot, or `failed` with error 420 if
 * it is still queued after `queueExpiryMs` (3 h) or its `message_expiry`. `messages` (and
 * `GET /_sim/messages`) record when each was accepted, sent or expired; `requests[].at` when each
 * request reached "Plivo".
 * It also hosts a client of the gateway under /client-callbacks/ (status-receiver.ts), where the
 * gateway's own signed status callbacks can be sent in the sandbox.
 *
 * Plain node:http on purpose: no framework, no extra dependency, nothing to configure.
 * This file holds the lifecycle, routing and recorded state; each concern has its own file.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CallbackScheduler,
  DEFAULT_CALLBACK_DELAY_MS,
  DEFAULT_RETRY_DELAYS_MS,
  type CallbackAttempt,
} from './callbacks';
import { FailureInjector, type FailurePlan } from './failure-injection';
import { deliver, parseBody, readBody, urlHost, type Outcome, type ParsedBody } from './http-utils';
import { handleSandboxInbound, inboundParams, OptOutMemory, type InboundMessage } from './inbound';
import {
  ACCOUNT_ROUTE,
  errorAnswer,
  isAuthorized,
  MESSAGE_ROUTE,
  queuedAnswer,
  validateSend,
  type OutboundMessage,
} from './send-api';
import { QUEUE_EXPIRED_ERROR, RateQueue, type RateLimits } from './rate-queue';
import { handleSimControl, SIM_CONTROL_PATH } from './sim-control';
import { CLIENT_CALLBACKS_PATH, handleClientCallbacks, StatusReceiver } from './status-receiver';

export interface PlivoSimulatorOptions {
  authId: string;
  authToken: string;
  /** Gap between consecutive status callbacks of one message (default 100 ms). */
  callbackDelayMs?: number;
  /** Delays before each retry of a failed callback (default [1000, 2000, 4000], i.e. 3 retries). */
  callbackRetryDelaysMs?: number[];
  /**
   * Sandbox demos: where `POST /sandbox/inbound` on the simulator delivers a signed inbound
   * message, as Plivo would to an application's message_url.
   */
  inboundUrl?: string;
  /**
   * The secrets the client endpoint under /client-callbacks/ verifies the gateway's
   * X-Mms-Signature with (its STATUS_CALLBACK_SECRET); none: every signature is invalid.
   */
  statusCallbackSecrets?: string[];
  /** Plivo's rates and queue expiry (rate-queue.ts); undefined: none, every message leaves at once. */
  rates?: RateLimits;
  log?: (msg: string) => void;
}

export type RecordedResponse = { status: number; body: unknown } | 'timeout' | 'reset';

export interface RecordedRequest {
  at: Date;
  method: string;
  /** Path as received, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON or form body; the raw text when it could not be parsed; undefined when empty. */
  body: unknown;
  authorized: boolean;
  response: RecordedResponse;
  /** Set when the message was created (202, delayed 202 or accept-then-hang): first uuid. */
  messageUuid?: string;
  /** One uuid per destination (`dst` may list several joined with `<`). */
  messageUuids?: string[];
}

export class PlivoSimulator {
  /** Every request received, rejected ones included, in arrival order. */
  requests: RecordedRequest[] = [];
  /** Every status-callback attempt, retries included. */
  callbacks: CallbackAttempt[] = [];
  /** Every message created (one per destination), with when it was accepted, sent or expired. */
  messages: OutboundMessage[] = [];
  /** The client endpoint at /client-callbacks/…: the gateway's status callbacks to a client. */
  readonly statusReceiver: StatusReceiver;

  private readonly authId: string;
  private readonly authToken: string;
  private readonly log: (msg: string) => void;
  private readonly inboundUrl?: string;
  private readonly failures = new FailureInjector();
  private readonly scheduler: CallbackScheduler;
  /** STOP/START delivered per (to, from): sends to opted-out numbers fail with error 200. */
  private readonly optOuts = new OptOutMemory();
  private readonly initialRates: RateLimits | null;
  private readonly queue: RateQueue;

  private server?: Server;
  private url?: string;
  /** Delayed-answer timers: cleared by stop() only, so reset() never strands a waiting client. */
  private readonly answerTimers = new Set<NodeJS.Timeout>();

  constructor(options: PlivoSimulatorOptions) {
    this.authId = options.authId;
    this.authToken = options.authToken;
    this.log = options.log ?? (() => undefined);
    this.inboundUrl = options.inboundUrl;
    this.initialRates = options.rates ?? null;
    this.queue = new RateQueue(this.initialRates);
    this.scheduler = new CallbackScheduler({
      authToken: options.authToken,
      delayMs: options.callbackDelayMs ?? DEFAULT_CALLBACK_DELAY_MS,
      retryDelaysMs: options.callbackRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
      record: (attempt) => this.callbacks.push(attempt),
      log: (msg) => this.log(msg),
    });
    this.statusReceiver = new StatusReceiver({ secrets: options.statusCallbackSecrets ?? [] });
  }

  /** Requests that created a message: answered 202 (possibly late) or accept-then-hang. */
  get sentMessages(): RecordedRequest[] {
    return this.requests.filter((r) => r.messageUuid !== undefined);
  }

  get baseUrl(): string {
    if (!this.url) throw new Error('PlivoSimulator is not started');
    return this.url;
  }

  /** Status callbacks or queue departures scheduled, or callbacks being delivered: 0 once all settled. */
  get pendingCallbacks(): number {
    return this.scheduler.pending;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = createServer((req, res) => {
      const pathname = req.url?.split('?')[0] ?? '/';
      const handled = pathname.startsWith(SIM_CONTROL_PATH)
        ? handleSimControl(this, req, res)
        : pathname === '/sandbox/inbound'
          ? handleSandboxInbound(req, res, this.inboundUrl, (inbound) => this.sendInbound(inbound))
          : pathname === CLIENT_CALLBACKS_PATH || pathname.startsWith(`${CLIENT_CALLBACKS_PATH}/`)
            ? handleClientCallbacks(this.statusReceiver, req, res)
            : this.handle(req, res);
      handled.catch((err: unknown) => {
        this.log(`plivo-simulator: request handling failed: ${String(err)}`);
        if (!res.headersSent) deliver(req, res, errorAnswer(500, 'simulator error'));
      });
    });
    // Longer than the SDK's keep-alive agent keeps idle sockets (30 s): otherwise a request can
    // go out on a socket we are closing, and fail with a reset that looks like an ambiguous send.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port: actualPort } = server.address() as AddressInfo;
    this.url = `http://${urlHost(host)}:${actualPort}`;
    this.log(`plivo-simulator listening on ${this.url}`);
    return this.url;
  }

  async stop(): Promise<void> {
    this.scheduler.cancel();
    await this.statusReceiver.close();
    for (const timer of this.answerTimers) clearTimeout(timer);
    this.answerTimers.clear();
    const server = this.server;
    this.server = undefined;
    this.url = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Held ('timeout', 'accept-then-hang') and keep-alive sockets would keep close() waiting forever.
    server.closeAllConnections();
    await closed;
  }

  /**
   * Clears records, failure plans, latency, pending callbacks, the queue and the client endpoint's
   * state; rates go back to the constructor's.
   */
  reset(): void {
    this.requests = [];
    this.callbacks = [];
    this.messages = [];
    this.queue.set(this.initialRates);
    this.failures.reset();
    this.optOuts.reset();
    this.scheduler.cancel();
    this.statusReceiver.reset();
  }

  /** Queue `plan` for the next `times` Message requests (one plan consumed per request). */
  failNext(plan: FailurePlan, times = 1): void {
    this.failures.failNext(plan, times);
  }

  /** Extra latency added to every answer (benchmarks). */
  setLatency(ms: number): void {
    this.failures.setLatency(ms);
  }

  /** Plivo's rates and queue expiry from now on (null: off); messages already queued keep their slot. */
  setRates(rates: RateLimits | null): void {
    this.queue.set(rates);
  }

  get rates(): RateLimits | null {
    return this.queue.current;
  }

  /** Polls until `predicate` returns a truthy value, which it resolves to. */
  async waitFor<T>(
    predicate: (sim: PlivoSimulator) => T,
    timeoutMs = 2000,
    pollMs = 5,
  ): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate(this);
      if (value) return value as NonNullable<T>;
      if (Date.now() >= deadline)
        throw new Error(`PlivoSimulator.waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * Sends a signed inbound-message webhook like Plivo's `message_url` request (form POST by
   * default) and resolves to the HTTP status it got; rejects on network errors (no retries).
   */
  async sendInbound(inbound: InboundMessage): Promise<number> {
    const params = inboundParams(inbound);
    this.optOuts.observe(inbound);
    const status = await this.scheduler.send(inbound.url, inbound.method ?? 'POST', params);
    this.log(`inbound ${params.Type} ${params.MessageUUID} → ${inbound.url}: ${status}`);
    return status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date();
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // client went away mid-body: nothing to answer, nothing worth recording
    }
    const path = req.url ?? '/';
    const pathname = path.split('?')[0];
    const parsed = parseBody(raw, req.headers['content-type']);
    const record: RecordedRequest = {
      at,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: parsed.ok ? parsed.value : parsed.raw,
      authorized: isAuthorized(req.headers.authorization, ACCOUNT_ROUTE.exec(pathname)?.[1], {
        authId: this.authId,
        authToken: this.authToken,
      }),
      response: 'timeout',
    };

    const isMessageRoute = MESSAGE_ROUTE.test(pathname);
    const plan = isMessageRoute ? this.failures.take() : undefined;
    const outcome = this.failures.decide(plan, () => this.process(record, parsed, isMessageRoute));
    record.response =
      outcome.kind === 'answer' ? { status: outcome.status, body: outcome.body } : outcome.kind;
    this.requests.push(record);
    this.log(
      `${record.method} ${path} → ${describe(record.response)}${record.messageUuid ? ` ${record.messageUuid}` : ''}`,
    );

    const delayMs = this.failures.delayMs(plan);
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.answerTimers.delete(timer);
        deliver(req, res, outcome);
      }, delayMs);
      this.answerTimers.add(timer);
    } else {
      deliver(req, res, outcome);
    }
  }

  /** The Send Message API proper: creates the messages and schedules their callbacks. */
  private process(record: RecordedRequest, parsed: ParsedBody, isMessageRoute: boolean): Outcome {
    if (!isMessageRoute) return errorAnswer(404, 'not found');
    if (!record.authorized) return errorAnswer(401, 'Authentication failed');
    if (record.method !== 'POST') return errorAnswer(405, 'Method Not Allowed');
    if (!parsed.ok) return errorAnswer(400, 'invalid request body: expected JSON or form data');

    const validation = validateSend(parsed.value ?? {});
    if (!validation.ok) return errorAnswer(400, validation.error);

    for (const message of validation.messages) {
      message.departure = this.queue.admit({
        type: message.type,
        src: message.src,
        acceptedAt: message.acceptedAt.getTime(),
        messageExpirySeconds: message.messageExpirySeconds,
      });
      // Expired in the queue: it never reaches the carrier, nor the opt-out check.
      message.failWith =
        message.departure?.outcome === 'expired'
          ? QUEUE_EXPIRED_ERROR
          : this.optOuts.failureFor(message.src, message.dst);
      this.messages.push(message);
      this.scheduler.scheduleLifecycle(message);
    }
    record.messageUuids = validation.messages.map((m) => m.uuid);
    record.messageUuid = record.messageUuids[0];
    return queuedAnswer(record.messageUuids);
  }
}

function describe(response: RecordedResponse): string {
  return typeof response === 'string' ? response : String(response.status);
}
