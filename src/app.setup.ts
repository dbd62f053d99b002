import { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { json, urlencoded } from 'express';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { readDocsPages, serveDocsPages, servedDocsBase } from './http/docs-pages';
import { linkDocsPages } from './http/openapi-docs-links';
import { describeFormBodies } from './http/openapi-form-bodies';
import {
  bodyParserErrorHandler,
  bodyShapeGuard,
  markFormBodies,
  mediaTypeGuard,
  refuseReservedFormKeys,
  requestIdMiddleware,
} from './http/request-guards';
import { createValidationPipe } from './http/validation-pipe';
import { AllConfig } from './config/config.type';
import { API_KEY_SCHEME, BEARER_SCHEME } from './auth/api-key-auth.decorator';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { PLIVO_WEBHOOK_ROUTES } from './mms/plivo/webhook-routes';
import { MAX_RECIPIENTS } from './mms/campaigns/dto/create-campaign.dto';

/** A campaign's form: a field per recipient, and room for the others (media lists included). */
const CAMPAIGN_FORM_FIELDS = MAX_RECIPIENTS + 100;

/** Everything main.ts applies to the app, shared with the e2e tests so they test the real thing. */
export function configureApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  const http = app.get(ConfigService<AllConfig, true>).get('http', { infer: true });
  express.use(requestIdMiddleware);
  express.useLogger(app.get(Logger));
  express.set('trust proxy', http.trustProxy);
  express.disable('x-powered-by');
  if (http.metricsEnabled) express.use(httpMetricsMiddleware(app.get(MetricsService)));
  express.use(
    helmet({
      // Swagger UI needs inline styles/scripts; everything else is JSON.
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'", "'unsafe-inline'"],
          'style-src': ["'self'", "'unsafe-inline'", 'https:'],
          // TLS usually ends at the ingress: upgrading /docs assets to https on a plain-http
          // in-cluster address would leave Swagger UI blank.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  if (http.corsOrigins.length > 0) {
    express.enableCors({
      origin: http.corsOrigins,
      allowedHeaders: [
        'Content-Type',
        'X-API-Key',
        'Authorization',
        'Idempotency-Key',
        'X-Request-Id',
      ],
    });
  }
  // 415 for anything but JSON and form bodies, before a parser reads (or skips) them.
  express.use(mediaTypeGuard);
  // POST /campaigns carries up to 10,000 recipients: its own, larger limit (read first, the
  // general parser then skips the body already read).
  express.use('/campaigns', json({ limit: http.campaignBodyLimit }));
  // A form carries each recipient as a field of its own: 10,000 of them, plus the others.
  express.use(
    '/campaigns',
    urlencoded({
      limit: http.campaignBodyLimit,
      extended: false,
      parameterLimit: CAMPAIGN_FORM_FIELDS,
    }),
  );
  express.useBodyParser('json', { limit: http.bodyLimit });
  // extended: false = no nested objects from form bodies (no qs prototype tricks).
  express.useBodyParser('urlencoded', {
    limit: http.bodyLimit,
    extended: false,
    // Plivo's webhooks keep any field Plivo sends.
    verify: refuseReservedFormKeys(PLIVO_WEBHOOK_ROUTES.prefix),
  });
  // Form bodies are marked: only there is a lone value a list of one (src/shared/form-body.ts).
  express.use(markFormBodies);
  express.use(bodyParserErrorHandler);
  // Client routes only: Plivo's webhook bodies are read as flat strings, and their unknown
  // fields must never be refused.
  express.use('/send-mms', bodyShapeGuard);
  express.use('/campaigns', bodyShapeGuard);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());

  if (http.docsEnabled) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Plivo MMS gateway')
        .setDescription(
          'Send MMS through Plivo, follow each message to delivery through signed status callbacks, and read the message log. ' +
            'Client routes need an API key (X-API-Key header or Authorization: Bearer).\n\n' +
            'Every error is JSON `{statusCode, error, code, message, requestId}`, plus `errors`, `messageId` or `details` where they apply; ' +
            'each response below names its codes. On any path: an unknown path is 404 `NOT_FOUND`; a method the path does not declare ' +
            '(TRACE, DELETE, OPTIONS outside a CORS preflight…) is 405 `METHOD_NOT_ALLOWED` with an Allow header.',
        )
        .setVersion('1.0')
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            // An opaque API key, not a JWT (Nest's default bearerFormat claims JWT).
            bearerFormat: 'API key',
            description: 'The same API key as a bearer token',
          },
          BEARER_SCHEME,
        )
        .build(),
    );
    // A form body's lists, described as a form carries them (src/http/openapi-form-bodies.ts).
    describeFormBodies(document);
    // Each route links its page of docs/ (src/http/openapi-docs-links.ts): DOCS_BASE_URL, else
    // the pages this app serves itself, when the build has them.
    const pages = readDocsPages();
    if (pages.size > 0) serveDocsPages(express, pages);
    const { publicBaseUrl } = app.get(ConfigService<AllConfig, true>).get('app', { infer: true });
    linkDocsPages(
      document,
      http.docsBaseUrl ?? (pages.size > 0 ? servedDocsBase(publicBaseUrl) : undefined),
    );
    SwaggerModule.setup('docs', app, document, {
      jsonDocumentUrl: 'docs-json',
      swaggerOptions: { persistAuthorization: true },
    });
  }
  return app;
}
