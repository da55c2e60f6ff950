import { cors } from '@connectrpc/connect';
import { REQUEST_ID_HEADER, SERVED_BY_HEADER } from '@repo/wire';
import { type HttpRequest as Request, type HttpResponse as Response, reply } from './listener';

const ALLOW_METHODS = cors.allowedMethods.join(', ');
const ALLOW_HEADERS = [
  ...cors.allowedHeaders,
  REQUEST_ID_HEADER,
  'Traceparent',
  'Tracestate',
  'Authorization',
].join(', ');
const EXPOSE_HEADERS = [...cors.exposedHeaders, REQUEST_ID_HEADER, SERVED_BY_HEADER].join(', ');
/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 7200;

/**
 * CORS for the origins given (CORS_ORIGINS). A listed origin is echoed back, with `Vary:
 * Origin`; `*` allows any origin, and since the gateway never sends
 * Access-Control-Allow-Credentials, a browser sends no cookies or HTTP credentials with such
 * calls. Returns true when it has answered the request itself (a preflight).
 */
export function createCors(origins: readonly string[]): (req: Request, res: Response) => boolean {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string') return false;
    res.setHeader('Vary', 'Origin');
    const ok = any || allowed.has(origin.toLowerCase());
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    if (!ok) {
      reply(res, 403);
      return true;
    }
    reply(res, 204, {
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_S,
    });
    return true;
  };
}
