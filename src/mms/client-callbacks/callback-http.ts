import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import {
  checkedLookup,
  hostPortOf,
  isPublicAddress,
  outboundRequest,
  outboundUrlProblem,
  UNREACHABLE,
} from '../../shared/outbound-address';

/** How a POST to a client's URL ended: its HTTP status, or why there was none. */
export type PostResult =
  | { httpStatus: number }
  /** `blocked`: the URL itself is refused by the policy now, so no attempt can ever succeed. */
  | { error: string; blocked?: boolean };

/**
 * POSTs one callback. The URL is checked again now (the address policy may have changed since
 * the send), and every address its host resolves to must be public unless its host:port is in
 * STATUS_CALLBACK_ALLOWED_HOSTS: the socket connects only to an address that was checked, so a
 * name that resolves to a private address gets no connection at all. Redirects are not followed
 * (a 3xx is a failed attempt), the answer's body is not read, and the whole exchange has one
 * deadline (STATUS_CALLBACK_TIMEOUT_MS), so a slow client cannot hold a worker.
 */
@Injectable()
export class CallbackHttp {
  private readonly logger = new Logger(CallbackHttp.name);
  private readonly timeoutMs: number;
  private readonly allowHttp: boolean;
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly publicOnly = checkedLookup(isPublicAddress);

  constructor(config: ConfigService<AllConfig, true>) {
    const settings = config.get('statusCallbacks', { infer: true });
    this.timeoutMs = settings.timeoutMs;
    this.allowHttp = settings.allowHttp;
    this.allowedHosts = new Set(settings.allowedHosts);
  }

  /** Why this URL may not be called, if it may not (the request-time check, done again). */
  problem(url: string): string | undefined {
    return outboundUrlProblem(url, {
      allowHttp: this.allowHttp,
      privateHostsAllowed: this.allowedHosts,
    });
  }

  /** `timeoutMs` (at most STATUS_CALLBACK_TIMEOUT_MS): what is left of the worker's lease. */
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs = this.timeoutMs,
  ): Promise<PostResult> {
    const refused = this.problem(url);
    if (refused) return Promise.resolve({ error: refused, blocked: true });
    const target = new URL(url);
    const deadline = AbortSignal.timeout(Math.min(timeoutMs, this.timeoutMs));
    return outboundRequest(target, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        'User-Agent': 'mms-gateway-callbacks/1.0',
        ...headers,
      },
      body,
      signal: deadline,
      ...(this.allowedHosts.has(hostPortOf(target)) ? {} : { lookup: this.publicOnly }),
    }).then(
      (res): PostResult => {
        // Only the status matters: the body is drained (within the deadline), never buffered.
        res.once('error', () => undefined);
        res.resume();
        return { httpStatus: res.statusCode ?? 0 };
      },
      (error: NodeJS.ErrnoException): PostResult => {
        if (deadline.aborted) return { error: 'no answer in time (STATUS_CALLBACK_TIMEOUT_MS)' };
        // One message for every lookup or connection failure: the client reads it on GET
        // /messages, and must not learn which internal names exist or which ports are open.
        this.logger.warn(
          { host: target.host, code: error.code, err: error.message },
          'Status callback: no answer',
        );
        return { error: UNREACHABLE };
      },
    );
  }
}
