import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { BEARER_SCHEME } from '../auth/access.decorator';
import { ErrorBody } from '../common/http/api-errors.decorator';

export const OPENAPI_JSON_PATH = 'openapi.json';
export const SWAGGER_UI_PATH = 'docs';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Accounts API')
    .setDescription(
      'Accounts, atomic transfers and their ledger. Money is in whole units (integers). ' +
        'Every error has the ErrorBody shape; X-Request-Id ties an answer to its log lines. ' +
        'Routes other than the talk\'s POST /, OPTIONS / and /health need an API key with the scope each names ' +
        '(admin includes write, write includes read): "Authorize" takes one for "Try it out".',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An API key, acckey_ and 76 hex digits' },
      BEARER_SCHEME,
    )
    .setVersion('1')
    // Relative, so "Try it out" calls whatever host and port served the page: the proxy.
    .addServer('/')
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorBody] });
}

/** Serves the document at /openapi.json and Swagger UI at /docs, from the api's own assets. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(SWAGGER_UI_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
  });
}
