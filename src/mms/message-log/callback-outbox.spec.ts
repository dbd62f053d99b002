import { callbackHostOf } from './callback-outbox';

describe('callbackHostOf: one spelling per destination', () => {
  it.each([
    ['https://hooks.example.com/x', 'hooks.example.com:443'],
    ['https://HOOKS.Example.COM:443/x', 'hooks.example.com:443'],
    ['https://hooks.example.com./x', 'hooks.example.com:443'],
    ['https://hooks.example.com.:443/x', 'hooks.example.com:443'],
    ['http://hooks.example.com/x', 'hooks.example.com:80'],
    ['http://hooks.example.com:8080/x', 'hooks.example.com:8080'],
    ['https://[2001:db8::1]/x', '[2001:db8::1]:443'],
  ])('%s → %s', (url, host) => {
    expect(callbackHostOf(url)).toBe(host);
  });
});
