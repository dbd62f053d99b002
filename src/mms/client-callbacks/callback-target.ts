import { BadRequestException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { signingSecretsFor, StatusCallbacksConfig } from '../../config/status-callbacks.config';
import { CallbackHttp } from './callback-http';

/**
 * Where a send's status callbacks go: the request's statusCallbackUrl, else the client's default
 * (STATUS_CALLBACK_URLS), else nowhere. A URL is judged by the media URLs' address policy (https,
 * http only while MEDIA_ALLOW_HTTP; no private, loopback or metadata address in any encoding,
 * unless its host:port is in STATUS_CALLBACK_ALLOWED_HOSTS); its host's addresses are checked
 * again at each delivery.
 */
@Injectable()
export class CallbackTarget {
  private readonly settings: StatusCallbacksConfig;

  constructor(
    private readonly http: CallbackHttp,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('statusCallbacks', { infer: true });
  }

  /** The URL for this client's send, or a 400 saying why the request's one is refused. */
  resolve(requested: string | undefined, clientId: string): string | undefined {
    if (requested === undefined) return this.settings.defaultUrls.get(clientId);
    if (signingSecretsFor(this.settings, clientId).length === 0)
      throw new BadRequestException({
        message:
          'statusCallbackUrl: status callbacks are off for this client (no STATUS_CALLBACK_SECRET, and no STATUS_CALLBACK_CLIENT_SECRETS entry for it)',
        code: 'STATUS_CALLBACKS_DISABLED',
        errors: [{ field: 'statusCallbackUrl', messages: ['status callbacks are off'] }],
      });
    const problem = this.http.problem(requested);
    if (problem)
      throw new BadRequestException({
        message: `statusCallbackUrl ${requested}: ${problem}`,
        code: 'CALLBACK_URL_BLOCKED',
        errors: [{ field: 'statusCallbackUrl', messages: [`${requested}: ${problem}`] }],
      });
    return requested;
  }
}
