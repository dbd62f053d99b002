import { BadRequestException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { MediaUrlPolicy } from './media-url-policy';

const policy = (allowHttp: boolean) =>
  new MediaUrlPolicy({ get: () => allowHttp } as unknown as ConfigService<AllConfig, true>);

describe('MediaUrlPolicy', () => {
  const strict = policy(false);
  const lenient = policy(true);

  it.each([
    'http://localhost/a.gif',
    'http://LOCALHOST./a.gif',
    'http://a.b.localhost/a.gif',
    'http://127.0.0.1/a.gif',
    'http://127.1/a.gif',
    'http://2130706433/a.gif',
    'http://0x7f000001/a.gif',
    'http://0x7f.0.0.1/a.gif',
    'http://0177.0.0.1/a.gif',
    'http://10.0.0.1/',
    'http://172.31.255.255/',
    'http://192.168.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://239.255.255.250/',
    'http://255.255.255.255/',
    'http://[::]/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://[ff02::1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[2002:7f00:1::]/',
    'https://user:pass@example.com/a.gif',
    'https://user@example.com/a.gif',
    'ftp://example.com/a.gif',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s', (url) => {
    expect(lenient.reasonToRefuse(url)).toEqual(expect.any(String));
  });

  it.each([
    'https://media.example.com/a.gif',
    'https://8.8.8.8/a.png',
    'https://[2606:4700::1111]/a.png',
    'http://m.example.com/a.gif',
  ])('allows %s when http is allowed', (url) => {
    expect(lenient.reasonToRefuse(url)).toBeUndefined();
  });

  it('refuses plain http unless MEDIA_ALLOW_HTTP', () => {
    expect(strict.reasonToRefuse('http://m.example.com/a.gif')).toMatch(/only https/);
    expect(strict.reasonToRefuse('https://m.example.com/a.gif')).toBeUndefined();
  });

  it('assertAllowed names each bad URL', () => {
    expect(() =>
      lenient.assertAllowed([
        { url: 'https://ok.example.com/a.png', field: 'mediaUrl' },
        { url: 'http://10.1.1.1/x', field: 'mediaUrls[0]' },
        { url: 'http://[::1]/y', field: 'mediaUrls[1]' },
      ]),
    ).toThrow(/10\.1\.1\.1.*not a public address.*\[::1\]/);
  });

  it('assertAllowed answers 400 MEDIA_URL_BLOCKED with each refused URL under its own field', () => {
    let thrown: unknown;
    try {
      lenient.assertAllowed([
        { url: 'http://2130706433/a.gif', field: 'mediaUrl' },
        { url: 'https://ok.example.com/a.png', field: 'mediaUrls[0]' },
        { url: 'http://0x7f.1/b.gif', field: 'mediaUrls[1]' },
      ]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BadRequestException);
    expect((thrown as BadRequestException).getResponse()).toEqual({
      code: 'MEDIA_URL_BLOCKED',
      message:
        'http://2130706433/a.gif: 127.0.0.1 is not a public address; http://0x7f.1/b.gif: 127.0.0.1 is not a public address',
      errors: [
        {
          field: 'mediaUrl',
          messages: ['http://2130706433/a.gif: 127.0.0.1 is not a public address'],
        },
        {
          field: 'mediaUrls[1]',
          messages: ['http://0x7f.1/b.gif: 127.0.0.1 is not a public address'],
        },
      ],
    });
  });
});
