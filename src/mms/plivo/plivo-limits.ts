/**
 * Plivo's Send Message API limits (https://www.plivo.com/docs/messaging/api/message#send-a-message):
 * `text` up to 1,600 characters (SMS and MMS alike), up to 10 media per MMS, 2 MB per file and
 * 5 MB for text and media together (https://www.plivo.com/docs/messaging/concepts/mms,
 * https://support.plivo.com/hc/en-us/articles/360041855032).
 */
export const MAX_TEXT_LENGTH = 1600;
export const MAX_MEDIA = 10;
export const MAX_MEDIA_BYTES = 2 * 1024 * 1024;
export const MAX_TOTAL_MEDIA_BYTES = 5 * 1024 * 1024;
