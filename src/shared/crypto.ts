import { createHash } from 'node:crypto';

/** SHA-256 of a UTF-8 string, as bytes (for timingSafeEqual). */
export const sha256 = (value: string): Buffer =>
  createHash('sha256').update(value, 'utf8').digest();

/** SHA-256 of a UTF-8 string, as lower-case hex. */
export const sha256Hex = (value: string): string => sha256(value).toString('hex');
