import { isHttpUrl } from './is-http-url';

describe('isHttpUrl (the DTO check before the media URL policy)', () => {
  it.each([
    'https://media.example.com/a.gif',
    'http://m.example.com/a.gif?x=1',
    'HTTPS://EXAMPLE.COM/A.GIF',
    'http://localhost/a.gif',
    'https://8.8.8.8/a.png',
    'https://[2606:4700::1111]/b.png',
    // Addresses in encodings isURL refuses: well-formed here, judged by the policy.
    'http://2130706433/a.gif',
    'http://0x7f.1/a.gif',
    'http://0x7f.0.0.1/a.gif',
    'http://0177.0.0.1/a.gif',
    'http://127.1/a.gif',
    'http://%31%32%37.0.0.1/a.gif',
    'http://127.0.0.1./a.gif',
    'http://[::ffff:127.0.0.1]/a.gif',
  ])('accepts %s', (url) => {
    expect(isHttpUrl(url)).toBe(true);
  });

  it.each([
    '',
    '/a.gif',
    '//example.com/a.gif',
    'ftp://example.com/a.gif',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'https://',
    'http://1.2.3.4.5/a.gif',
    'http://2130706433/a b.gif',
    'http://2130706433/a\n.gif',
    '\thttp://2130706433/a.gif',
    'http://0x7f.1/\u0000',
    'not a url',
    42,
    null,
  ])('refuses %p', (url) => {
    expect(isHttpUrl(url)).toBe(false);
  });
});
