/**
 * How a message's sender was chosen: named by the send (`requested`), the only number of the
 * pool (`only`), the number the recipient last exchanged messages with (`sticky`), one with the
 * recipient's area code (`area-code`), or the one free soonest under pacing (`soonest`).
 */
export const SENDER_CHOICES = ['requested', 'only', 'sticky', 'area-code', 'soonest'] as const;
export type SenderChoice = (typeof SENDER_CHOICES)[number];

export interface ChosenSender {
  sender: string;
  choice: SenderChoice;
}

/**
 * The area code of a NANP number (+1 and ten digits): the three digits after +1. Other
 * countries have none here: their area codes vary in length and mobile numbers often carry no
 * place at all, and Plivo sends MMS to US and Canadian numbers only, so a recipient elsewhere
 * (an SMS fallback) goes from the number free soonest.
 */
export function areaCodeOf(e164: string): string | undefined {
  return /^\+1\d{10}$/.test(e164) ? e164.slice(2, 5) : undefined;
}
