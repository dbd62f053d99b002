import type * as Ipaddr from 'ipaddr.js';
import { hostPortOf, isIpLiteral, isPublicAddress, outboundUrlProblem } from './outbound-address';

describe('isPublicAddress', () => {
  it.each([
    ['93.184.216.34', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['::1', false],
    ['::ffff:127.0.0.1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    // IPv4-compatible IPv6 (::/96): ipaddr.js calls these unicast.
    ['::a00:1', false],
    ['::7f00:1', false],
    ['[::10.0.0.1]', false],
    ['not-an-address', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('outboundUrlProblem', () => {
  const https = { allowHttp: false };
  it('refuses private hosts in any encoding, the IPv4-compatible IPv6 form included', () => {
    for (const url of [
      'https://2130706433/',
      'https://0x7f.1/',
      'https://0177.0.0.1/',
      'https://[::1]/',
      'https://[::10.0.0.1]/',
      'https://[::127.0.0.1]/',
      'https://localhost/',
      'https://a.localhost/',
    ])
      expect([url, outboundUrlProblem(url, https)]).toEqual([url, expect.any(String)]);
    expect(outboundUrlProblem('https://hooks.example.com/x', https)).toBeUndefined();
  });

  it('tells an address from a name by the URL parser’s spelling; a name is not parsed as an address', () => {
    // The module object itself (this file's namespace import of it is read-only).
    const parse = jest.spyOn(jest.requireActual<typeof Ipaddr>('ipaddr.js'), 'isValid');
    try {
      for (const url of ['https://2130706433/', 'https://0x7f.1/', 'https://[::1]/'])
        expect(isIpLiteral(new URL(url).hostname)).toBe(true);
      expect(parse).toHaveBeenCalledTimes(3);
      for (const url of ['https://media.example.com/', 'https://1.example/', 'https://a1b2/'])
        expect(isIpLiteral(new URL(url).hostname)).toBe(false);
      expect(parse).toHaveBeenCalledTimes(3);
    } finally {
      parse.mockRestore();
    }
  });

  it('refuses http unless allowed, credentials, and non-URLs', () => {
    expect(outboundUrlProblem('http://hooks.example.com/', https)).toBe(
      'only https URLs are allowed',
    );
    expect(outboundUrlProblem('http://hooks.example.com/', { allowHttp: true })).toBeUndefined();
    expect(outboundUrlProblem('ftp://hooks.example.com/', { allowHttp: true })).toMatch(
      /http and https/,
    );
    expect(outboundUrlProblem('https://u:p@hooks.example.com/', https)).toMatch(/credentials/);
    expect(outboundUrlProblem('hooks.example.com', https)).toMatch(/not a valid absolute URL/);
  });

  it('lets an allowed host:port through, and only that port', () => {
    const rules = {
      allowHttp: true,
      privateHostsAllowed: new Set(['127.0.0.1:8080', 'localhost:80']),
    };
    expect(outboundUrlProblem('http://127.0.0.1:8080/hook', rules)).toBeUndefined();
    expect(outboundUrlProblem('http://127.0.0.1:8081/hook', rules)).toMatch(/not a public address/);
    expect(outboundUrlProblem('http://localhost/hook', rules)).toBeUndefined();
    expect(outboundUrlProblem('http://LOCALHOST.:80/hook', rules)).toBeUndefined();
    expect(outboundUrlProblem('https://localhost/hook', rules)).toMatch(/localhost/);
  });
});

describe('hostPortOf', () => {
  it('fills in the default port, lower-cases, drops the trailing dot', () => {
    expect(hostPortOf(new URL('https://Hooks.Example.com./x'))).toBe('hooks.example.com:443');
    expect(hostPortOf(new URL('http://hooks.example.com/x'))).toBe('hooks.example.com:80');
    expect(hostPortOf(new URL('http://[::1]:9000/'))).toBe('[::1]:9000');
  });
});
