import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { REQUIRED_SCOPE_EXTENSION } from '../auth/access.decorator';
import { ErrorBody } from '../common/http/api-errors.decorator';

export const OPENAPI_JSON_PATH = 'openapi.json';
export const SWAGGER_UI_PATH = 'docs';
/** The security scheme that "Authorize" in Swagger UI fills in. */
export const BEARER_SCHEME = 'api-key';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Accounts API')
    .setDescription(
      'Accounts, atomic transfers and their ledger. Money is in whole units (integers). ' +
        'Every error has the ErrorBody shape; X-Request-Id ties an answer to its log lines. ' +
        "Routes other than the talk's POST /, OPTIONS / and /health need an API key with the scope each names " +
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
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBody] });
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      if (typeof operation === 'object' && operation !== null && REQUIRED_SCOPE_EXTENSION in operation) {
        (operation as { security?: unknown }).security = [{ [BEARER_SCHEME]: [] }];
      }
    }
  }
  return document;
}

/** Serves the document at /openapi.json and Swagger UI at /docs, from the api's own assets. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(SWAGGER_UI_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
  });
}
