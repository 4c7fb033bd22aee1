import type { TestApp } from './app';

/** One route as Express has it: `ALL` for a catch-all that answers 405 with Allow. */
export interface AppRoute {
  readonly method: string;
  /** Express syntax, `/accounts/:id`. */
  readonly path: string;
}

/**
 * Every route the app's Express router holds, as registered, including
 * those SwaggerModule adds for /docs and /openapi.json: specs that must
 * cover every route (the OpenAPI document, access control) start here, so
 * a route added later is covered without editing them.
 */
export function appRoutes(t: TestApp): AppRoute[] {
  const router = t.app!.getHttpAdapter().getInstance().router as {
    stack: { route?: { path: string; methods: Record<string, boolean> } }[];
  };
  return router.stack.flatMap(({ route }) => {
    // Middleware that Nest mounts on every path (`{/*splat}`) is not a route.
    if (!route || route.path.includes('*')) return [];
    // Catch-all handlers register every HTTP method at once.
    if (route.methods._all || Object.keys(route.methods).length > 10) return [{ method: 'ALL', path: route.path }];
    return Object.keys(route.methods).map((method) => ({ method: method.toUpperCase(), path: route.path }));
  });
}
