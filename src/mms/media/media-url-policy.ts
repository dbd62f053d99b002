import { BadRequestException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { isIpLiteral, isPublicAddress } from './address-policy';

/** A media URL and the request field it came from (`mediaUrl`, `mediaUrls[2]`). */
export interface MediaUrlRef {
  url: string;
  field: string;
}

export interface MediaUrlProblem extends MediaUrlRef {
  reason: string;
}

/**
 * Static checks on every media URL before Plivo (or our preflight) fetches it: a user-given
 * URL must not point Plivo or us at our own network. WHATWG URL parsing first normalises the
 * host, so 0177.0.0.1, 2130706433 and 0x7f.1 are all seen as 127.0.0.1.
 */
@Injectable()
export class MediaUrlPolicy {
  private readonly allowHttp: boolean;

  constructor(config: ConfigService<AllConfig, true>) {
    this.allowHttp = config.get('send.mediaAllowHttp', { infer: true });
  }

  problems(media: MediaUrlRef[]): MediaUrlProblem[] {
    return media.flatMap(({ url, field }) => {
      const reason = this.reasonToRefuse(url);
      return reason ? [{ url, field, reason }] : [];
    });
  }

  reasonToRefuse(raw: string): string | undefined {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'not a valid absolute URL';
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.allowHttp)) {
      return this.allowHttp
        ? 'only http and https URLs are allowed'
        : 'only https URLs are allowed';
    }
    if (url.username || url.password) return 'URLs with credentials are not allowed';
    const host = url.hostname.replace(/\.$/, '').toLowerCase();
    if (!host) return 'the URL has no host';
    if (host === 'localhost' || host.endsWith('.localhost')) return 'localhost is not allowed';
    if (isIpLiteral(host) && !isPublicAddress(host)) return `${host} is not a public address`;
    return undefined;
  }

  /** 400 MEDIA_URL_BLOCKED naming each refused URL under the field the client sent it in. */
  assertAllowed(media: MediaUrlRef[]): void {
    const problems = this.problems(media);
    if (problems.length === 0) return;
    throw new BadRequestException({
      message: problems.map((p) => `${p.url}: ${p.reason}`).join('; '),
      code: 'MEDIA_URL_BLOCKED',
      errors: problems.map((p) => ({ field: p.field, messages: [`${p.url}: ${p.reason}`] })),
    });
  }
}
