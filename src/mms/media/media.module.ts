import { Module } from '@nestjs/common';
import { MediaPreflight } from './media-preflight';
import { MediaUrlPolicy } from './media-url-policy';

/** Which media URLs may be sent (address policy) and whether Plivo can deliver them (preflight). */
@Module({
  providers: [MediaUrlPolicy, MediaPreflight],
  exports: [MediaUrlPolicy, MediaPreflight],
})
export class MediaModule {}
