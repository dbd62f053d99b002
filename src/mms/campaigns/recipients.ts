import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** A field named in a 400's `errors` (or a 201's), as the validation pipe names them. */
export interface FieldError {
  field: string;
  messages: string[];
}

/** What a campaign's recipient list comes to once each is normalised. */
export interface RecipientList {
  /** Distinct E.164 numbers, in the order first given. */
  numbers: string[];
  duplicates: number;
  /** One per invalid entry, named by position: `recipients[3]`. */
  errors: FieldError[];
}

/**
 * E.164 for each entry (a national spelling is read as a US/Canadian number), repeats dropped
 * after normalisation (`+1 415 765 4321` and `(415) 765-4321` are one recipient), invalid ones
 * reported by position. `accepts` refuses valid numbers the campaign cannot send to.
 */
export function normaliseRecipients(
  given: string[],
  accepts: (e164: string) => string | undefined = () => undefined,
): RecipientList {
  const seen = new Set<string>();
  const numbers: string[] = [];
  const errors: FieldError[] = [];
  let duplicates = 0;
  given.forEach((entry, i) => {
    const e164 = toE164(entry);
    const problem = e164 ? accepts(e164) : 'not a valid phone number';
    if (!e164 || problem) {
      errors.push({ field: `recipients[${i}]`, messages: [`${entry}: ${problem}`] });
      return;
    }
    if (seen.has(e164)) duplicates++;
    else {
      seen.add(e164);
      numbers.push(e164);
    }
  });
  return { numbers, duplicates, errors };
}

function toE164(entry: string): string | undefined {
  const parsed = parsePhoneNumberFromString(entry.trim(), 'US');
  return parsed?.isValid() ? parsed.number : undefined;
}
