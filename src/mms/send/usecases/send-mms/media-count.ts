import { BadRequestException } from '@nestjs/common';
import { MediaUrlRef } from '../../../media/media-url-policy';
import { MAX_MEDIA } from '../../../plivo/plivo-limits';
import { SendMmsDto } from '../../dto/send-mms.dto';

/** mediaUrl then mediaUrls, in order, each with the field it came in, for the errors. */
export function mediaUrlsOf(dto: SendMmsDto): MediaUrlRef[] {
  return [
    ...(dto.mediaUrl ? [{ url: dto.mediaUrl, field: 'mediaUrl' }] : []),
    ...(dto.mediaUrls ?? []).map((url, i) => ({ url, field: `mediaUrls[${i}]` })),
  ];
}

/** 1 to 10 media across mediaUrl, mediaUrls and mediaIds (a rule across fields, so not in the DTO). */
export function assertMediaCount(count: number): void {
  if (count >= 1 && count <= MAX_MEDIA) return;
  const message = `between 1 and ${MAX_MEDIA} media are required in total across mediaUrl, mediaUrls and mediaIds (got ${count})`;
  throw new BadRequestException({
    message,
    code: 'VALIDATION_FAILED',
    errors: [{ field: 'media', messages: [message] }],
  });
}
