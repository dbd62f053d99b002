import type { Request } from 'express';
import { METHODS } from 'node:http';

/** What this file reads of Express 5's router (router 2.x): route layers and their methods. */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/**
 * The methods the app's routes declare for this request's path, matched by Express's own
 * layers (so `:id` params, case-insensitivity and trailing slashes behave as in routing);
 * empty for a path no route serves. GET implies HEAD, as Express answers HEAD with the GET
 * route. Catch-alls that take every method (how Nest mounts middleware such as the request
 * logger: `app.all('/{*path}')`) are not routes and are skipped. Read at request time, after
 * Nest has registered its routes.
 */
export function declaredMethods(req: Request): string[] {
  const stack = (req.app as unknown as { router?: { stack?: RouterLayer[] } }).router?.stack;
  const methods = new Set<string>();
  for (const layer of stack ?? []) {
    if (!layer.route || !matches(layer, req.path)) continue;
    const declared = Object.entries(layer.route.methods)
      .filter(([, on]) => on)
      .map(([method]) => method.toUpperCase());
    if (declared.includes('_ALL') || declared.length >= METHODS.length) continue;
    for (const method of declared) methods.add(method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** Whether a route serves this method on this request's path. */
export function hasRoute(req: Request): boolean {
  return declaredMethods(req).includes(req.method);
}

function matches(layer: RouterLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    // A path param that is not valid percent-encoding: the router answers it with its own 400.
    return false;
  }
}
