import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';
/** No API key: health probes, metrics, and Plivo's webhooks (those are signature-guarded). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
