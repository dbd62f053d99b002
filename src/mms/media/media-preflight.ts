import { Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage } from 'node:http';
import { AllConfig } from '../../config/config.type';
import { MAX_MEDIA_BYTES, MAX_TOTAL_MEDIA_BYTES } from '../plivo/plivo-limits';
import {
  checkedLookup,
  isPublicAddress,
  outboundRequest,
  UNREACHABLE,
} from '../../shared/outbound-address';
import { MediaUrlPolicy } from './media-url-policy';

const MAX_REDIRECTS = 3;
/**
 * Types Plivo delivers as MMS: images, video, audio, contact cards
 * (support.plivo.com/hc/en-us/articles/360041855032, plivo.com/docs/faq/messaging/mms).
 */
const ACCEPTED_TYPE =
  /^(image\/(jpeg|jpg|png|gif|bmp|webp)|video\/(mp4|3gpp|3gpp2|quicktime|mpeg)|audio\/(mpeg|mp3|mp4|wav|x-wav|amr|3gpp|ogg|aac)|text\/(x-)?vcard)$/i;

export interface MediaInspection {
  url: string;
  contentType?: string;
  bytes?: number;
  problem?: string;
}

/**
 * MEDIA_PREFLIGHT: fetches each media URL (HEAD, else a one-byte ranged GET) and refuses what
 * Plivo would refuse later, with the message already paid for. Every address a host resolves
 * to is checked, and the socket connects to exactly the address that was checked, so a DNS
 * answer cannot swap in a private address between check and use; redirects are re-checked.
 */
@Injectable()
export class MediaPreflight {
  private readonly logger = new Logger(MediaPreflight.name);
  private readonly timeoutMs: number;

  constructor(
    private readonly policy: MediaUrlPolicy,
    config: ConfigService<AllConfig, true>,
  ) {
    this.timeoutMs = config.get('send.mediaPreflightTimeoutMs', { infer: true });
  }

  /** Only public addresses may be fetched (SSRF); a test subclass serving loopback media widens it. */
  protected addressAllowed(address: string): boolean {
    return isPublicAddress(address);
  }

  /** Plivo's limit is text + media below 5 MB (support.plivo.com/hc/en-us/articles/360041855032). */
  async assertDeliverable(urls: string[], textBytes = 0): Promise<void> {
    const inspections = await Promise.all(urls.map((url) => this.inspect(url)));
    const problems = inspections.filter((i) => i.problem);
    const total = inspections.reduce((sum, i) => sum + (i.bytes ?? 0), textBytes);
    if (problems.length === 0 && total < MAX_TOTAL_MEDIA_BYTES) return;
    const messages = problems.map((p) => `${p.url}: ${p.problem}`);
    if (total >= MAX_TOTAL_MEDIA_BYTES)
      messages.push(
        `media total ${total} bytes exceeds the MMS limit of ${MAX_TOTAL_MEDIA_BYTES} bytes`,
      );
    throw new UnprocessableEntityException({
      message: messages.join('; '),
      code: 'MEDIA_NOT_DELIVERABLE',
      errors: messages.map((m) => ({ field: 'mediaUrls', messages: [m] })),
    });
  }

  /** One URL, redirects included, within one overall deadline (a trickling server cannot stall us). */
  async inspect(url: string): Promise<MediaInspection> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    return this.inspectHop(url, MAX_REDIRECTS, deadline);
  }

  private async inspectHop(
    url: string,
    redirectsLeft: number,
    deadline: AbortSignal,
  ): Promise<MediaInspection> {
    const refused = this.policy.reasonToRefuse(url);
    if (refused) return { url, problem: refused };
    let response: IncomingMessage;
    try {
      response = await this.fetch(url, 'HEAD', deadline);
      if (
        response.statusCode === 405 ||
        response.statusCode === 501 ||
        (isOk(response) && !response.headers['content-length'])
      ) {
        response.destroy();
        response = await this.fetch(url, 'GET', deadline, { Range: 'bytes=0-0' });
      }
    } catch (error) {
      if (deadline.aborted)
        return { url, problem: `could not be fetched (no answer within ${this.timeoutMs} ms)` };
      // One text for every lookup or connection failure (UNREACHABLE); the cause is logged.
      this.logger.warn(
        {
          host: new URL(url).host,
          code: (error as NodeJS.ErrnoException).code,
          err: (error as Error).message,
        },
        'Media preflight: no answer',
      );
      return { url, problem: UNREACHABLE };
    }
    // Headers are all we need: never download a body (a server may ignore Range).
    response.destroy();
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      if (redirectsLeft === 0) return { url, problem: `more than ${MAX_REDIRECTS} redirects` };
      let next: string;
      try {
        next = new URL(response.headers.location, url).toString();
      } catch {
        return { url, problem: 'redirects to an invalid URL' };
      }
      const followed = await this.inspectHop(next, redirectsLeft - 1, deadline);
      return { ...followed, url };
    }
    if (!isOk(response)) return { url, problem: `answered HTTP ${status}` };
    const contentType = String(response.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const bytes = sizeOf(response);
    if (!ACCEPTED_TYPE.test(contentType))
      return {
        url,
        contentType,
        bytes,
        problem: `content type ${contentType || '(none)'} cannot be sent as MMS`,
      };
    if (bytes === undefined)
      return { url, contentType, problem: 'no Content-Length (Plivo requires one)' };
    if (bytes > MAX_MEDIA_BYTES)
      return {
        url,
        contentType,
        bytes,
        problem: `${bytes} bytes exceeds the ${MAX_MEDIA_BYTES}-byte limit per file`,
      };
    return { url, contentType, bytes };
  }

  private fetch(
    url: string,
    method: 'HEAD' | 'GET',
    deadline: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<IncomingMessage> {
    return outboundRequest(new URL(url), {
      method,
      headers: { 'User-Agent': 'mms-gateway-preflight/1.0', ...headers },
      signal: deadline,
      lookup: this.checkedLookup,
    });
  }

  /** Every address the host resolves to must be allowed (see checkedLookup). */
  private readonly checkedLookup = checkedLookup((address) => this.addressAllowed(address));
}

const isOk = (res: IncomingMessage) => (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;

function sizeOf(res: IncomingMessage): number | undefined {
  const range = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
  if (range) return Number(range[1]);
  const length = Number(res.headers['content-length']);
  return Number.isFinite(length) && res.statusCode !== 206 ? length : undefined;
}
