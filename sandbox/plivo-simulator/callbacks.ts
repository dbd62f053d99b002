/**
 * The status-callback scheduler: queued → sent → delivered|failed for every message that asked
 * for callbacks, each signed like Plivo's and retried on failure like Plivo's. It also owns the
 * abort signal every outgoing webhook (inbound messages included) is cancelled with on reset().
 *
 * Callback fields: https://www.plivo.com/docs/messaging/api/message#message-status-callbacks
 * Retries and the 8 s timeout:
 * https://support.plivo.com/hc/en-us/articles/360041344652-Will-Plivo-retry-callbacks-if-the-message-url-is-not-reachable-
 */
import type { OutboundMessage } from './send-api';
import {
  sendSignedWebhook,
  signWebhook,
  statusCallbackParams,
  type WebhookMethod,
  type WebhookParams,
  MMS_RATE,
} from './signed-webhook';

export type CallbackStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface CallbackAttempt {
  at: Date;
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
  /** HTTP status of the receiver's answer, or 'error' (network error, timeout, abort). */
  status: number | 'error';
  /** 1 for the first try, 2.. for retries. */
  attempt: number;
  error?: string;
}

export interface CallbackSchedulerOptions {
  authToken: string;
  /** Gap between consecutive status callbacks of one message. */
  delayMs: number;
  /** Delays before each retry of a failed callback. */
  retryDelaysMs: number[];
  /** Called with every attempt, retries included, unless reset()/stop() happened meanwhile. */
  record: (attempt: CallbackAttempt) => void;
  log: (msg: string) => void;
}

const CALLBACK_TIMEOUT_MS = 8000; // Plivo gives up on a callback after 8 s without a reply
export const DEFAULT_CALLBACK_DELAY_MS = 100;
/** Plivo retries after 60 s, 120 s and 240 s; shortened for the sandbox. */
export const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000];
/** A destination ending in this fails like an invalid number (error 50). */
const FAILING_DST_SUFFIX = '0000';
const INVALID_DESTINATION_ERROR = '50';
const USER_AGENT = 'PlivoHTTP/1.0 (sandbox simulator)';

export class CallbackScheduler {
  private running = 0;
  /** Callback timers: cleared by cancel(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Aborts in-flight webhook fetches on cancel(). */
  private abort = new AbortController();
  /** Bumped by cancel() so callback chains started earlier stop scheduling. */
  private epoch = 0;

  constructor(private readonly options: CallbackSchedulerOptions) {}

  /** Status callbacks scheduled or being delivered (retries included): 0 once all settled. */
  get pending(): number {
    return this.timers.size + this.running;
  }

  /**
   * Schedules the message's callbacks, if it gave a callback url. With a `departure` (rates on)
   * the message waits in Plivo's queue: it leaves then, sent or failed with 420, whether or not it
   * asked for callbacks; `queued` is posted at once as usual.
   */
  scheduleLifecycle(message: OutboundMessage): void {
    const departure = message.departure;
    const expired = departure?.outcome === 'expired';
    const leaveQueue = () => {
      if (!departure) message.sentAt = new Date();
      else if (expired) message.expiredAt ??= new Date(departure.at);
      else message.sentAt ??= new Date(departure.at);
    };
    if (departure) this.schedule(async () => leaveQueue(), departure.at - Date.now());
    if (!message.callbackUrl) return;
    const final: CallbackStatus =
      expired || message.failWith || message.dst.endsWith(FAILING_DST_SUFFIX)
        ? 'failed'
        : 'delivered';
    const steps: CallbackStatus[] = expired ? ['queued', final] : ['queued', 'sent', final];
    const epoch = this.epoch;

    // Each step waits for the previous first attempt so that, even with a 0 ms delay, the receiver
    // sees them in order; retries run on their own timers, so (like on Plivo) a retried `queued`
    // may arrive after `sent` and receivers must order by Sequence.
    const runStep = async (index: number): Promise<void> => {
      if (index === 1) leaveQueue(); // at or after the departure: the timer's clock may lag
      await this.sendCallback(message, callbackParams(message, steps[index], index + 1), 1, epoch);
      if (index + 1 < steps.length && epoch === this.epoch) {
        const untilDeparture = index === 0 && departure ? departure.at - Date.now() : 0;
        this.schedule(() => runStep(index + 1), Math.max(this.options.delayMs, untilDeparture));
      }
    };
    this.schedule(() => runStep(0), this.options.delayMs);
  }

  /**
   * Sends one signed webhook (form POST, or GET with a query string) and resolves to the HTTP
   * status; rejects on network errors, after 8 s without an answer, or when cancel() is called.
   */
  async send(url: string, method: WebhookMethod, params: WebhookParams): Promise<number> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]);
    // Signed over the exact callback URL, its own query string included (validators use the URL they were called on).
    const webhook = signWebhook({
      url,
      method,
      params,
      authToken: this.options.authToken,
      userAgent: USER_AGENT,
    });
    return sendSignedWebhook(webhook, signal);
  }

  /** Drops every pending callback and aborts the webhooks in flight. */
  cancel(): void {
    this.epoch++;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.abort.abort();
    this.abort = new AbortController();
  }

  private async sendCallback(
    message: OutboundMessage,
    params: WebhookParams,
    attempt: number,
    epoch: number,
  ): Promise<void> {
    const url = message.callbackUrl as string;
    const method = message.callbackMethod;
    let status: number | 'error';
    let error: string | undefined;
    try {
      status = await this.send(url, method, params);
    } catch (err) {
      status = 'error';
      error = err instanceof Error ? err.message : String(err);
    }
    if (epoch !== this.epoch) return; // reset()/stop() happened meanwhile: forget this message
    this.options.record({ at: new Date(), url, method, params, status, attempt, error });
    this.options.log(
      `callback ${params.Status} #${attempt} ${message.uuid} → ${url}: ${status}${error ? ` (${error})` : ''}`,
    );

    // Plivo retries a callback that got a non-2xx or no answer, up to 3 times.
    const isSuccess = typeof status === 'number' && status >= 200 && status < 300;
    const retryDelay = this.options.retryDelaysMs[attempt - 1];
    if (!isSuccess && retryDelay !== undefined) {
      this.schedule(() => this.sendCallback(message, params, attempt + 1, epoch), retryDelay);
    }
  }

  /** Timer whose callback can never throw or leave an unhandled rejection. */
  private schedule(fn: () => Promise<void>, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.running++;
      fn()
        .catch((err: unknown) => this.options.log(`callback timer failed: ${String(err)}`))
        .finally(() => this.running--);
    }, ms);
    this.timers.add(timer);
  }
}

/** The callback's fields: numbers echoed as the send request gave them, one rate for all types. */
function callbackParams(
  message: OutboundMessage,
  status: CallbackStatus,
  sequence: number,
): WebhookParams {
  return statusCallbackParams({
    messageUuid: message.uuid,
    from: message.src,
    to: message.dst,
    numbersAsGiven: true,
    type: message.type,
    status,
    sequence,
    queuedAt: message.acceptedAt,
    sentAt: message.sentAt,
    powerpackUuid: message.powerpackUuid,
    // Every simulated message is priced as an MMS, whatever its type.
    rate: MMS_RATE,
    // Plivo only sends ErrorCode with failed/undelivered.
    errorCode: status === 'failed' ? (message.failWith ?? INVALID_DESTINATION_ERROR) : undefined,
  });
}
