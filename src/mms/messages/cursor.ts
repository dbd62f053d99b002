import { BadRequestException } from '@nestjs/common';
import { Types } from 'mongoose';

/**
 * Base64url of three lowercase hex characters (12 bits each way): the first two characters
 * depend on whether the middle one is a digit or a letter, the last two on the third one.
 * cursor.spec.ts checks it matches exactly the 4096 encodings.
 */
const HEX_TRIPLE =
  '(?:(?:[MN][DTjz]|O[DT]|Y[Tjz]|Z[DTj])(?:[AEIMQUYcgk][w-z0-5]|[BFJNRVZdhl][h-m])' +
  '|(?:[MN][GWm2]|O[GW]|Y[Wm2]|Z[GWm])(?:[EIMQUY][w-z0-5]|[FJNRVZ][h-m]))';

/**
 * Exactly the cursors this API issues: base64url of a 24-hex-digit message id (32 characters).
 * The OpenAPI document states it, so a schema-valid cursor is one the API accepts.
 */
export const CURSOR_PATTERN = new RegExp(`^${HEX_TRIPLE}{8}$`);

/** Opaque cursor: the _id of the last item of a page (pages are ordered by _id, newest first). */
export function encodeCursor(log: { _id: Types.ObjectId }): string {
  return Buffer.from(log._id.toHexString()).toString('base64url');
}

/**
 * Also accepts the earlier `<createdAt ms>.<id>` cursors (not in CURSOR_PATTERN), so a page
 * walk survives an upgrade.
 */
export function decodeCursor(cursor: string): Types.ObjectId {
  const match = /^(?:\d{1,15}\.)?([0-9a-f]{24})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match)
    throw new BadRequestException({
      message: 'cursor is not a cursor returned by this API',
      code: 'INVALID_CURSOR',
    });
  return new Types.ObjectId(match[1]);
}
