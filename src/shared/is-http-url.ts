import { isURL, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { isIP } from 'node:net';

const URL_OPTIONS = {
  protocols: ['http', 'https'],
  require_protocol: true,
  require_tld: false,
  allow_underscores: true,
};

/**
 * An absolute http(s) URL. A host the WHATWG URL parser reads as an IP address, in any
 * encoding (`2130706433`, `0x7f.1`, `0177.0.0.1`, `%31%32%37.0.0.1`), is a well-formed URL
 * here even where validator.js's isURL says otherwise: whether that address may be fetched is
 * the media URL policy's question (MEDIA_URL_BLOCKED), not a malformed request.
 */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (isURL(value, URL_OPTIONS)) return true;
  // WHATWG drops tabs and newlines, and trims controls and spaces: none may be there at all.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0
    );
  } catch {
    return false;
  }
}

@ValidatorConstraint({ name: 'isHttpUrl' })
export class IsHttpUrl implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isHttpUrl(value);
  }
  defaultMessage(): string {
    return '$property must be an absolute http(s) URL';
  }
}
