import { applyDecorators } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

/** Swagger security scheme names, registered by the app's document builder (app.setup.ts). */
export const API_KEY_SCHEME = 'api-key';
export const BEARER_SCHEME = 'bearer';

/** Documents a route (or controller) as needing an API key: X-API-Key or Authorization: Bearer. */
export const ApiKeyAuth = () =>
  applyDecorators(ApiSecurity(API_KEY_SCHEME), ApiSecurity(BEARER_SCHEME));
