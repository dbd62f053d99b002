import { IsNotEmpty, IsString, IsUrl, Matches, MaxLength } from 'class-validator';

/** E.164: a plus, then up to 15 digits, the first not 0 (ITU-T E.164). */
const E164 = /^\+[1-9]\d{1,14}$/;

/** The body of the lean baseline's `POST /send-mms`, checked by the ValidationPipe. */
export class LeanSendRequest {
  @Matches(E164, { message: 'destinationNumber must be an E.164 number, e.g. +14155550123' })
  destinationNumber: string;

  // 1,600 characters: Plivo's limit for a message's text.
  @IsString()
  @IsNotEmpty()
  @MaxLength(1600)
  messageText: string;

  @IsUrl({ protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  mediaUrl: string;
}
