import { BadRequestException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { outboundUrlProblem } from '../../shared/outbound-address';

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
 * URL must not point Plivo or us at our own network (outboundUrlProblem).
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
    return outboundUrlProblem(raw, { allowHttp: this.allowHttp });
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
