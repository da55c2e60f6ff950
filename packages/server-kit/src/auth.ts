import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ResponderBuilder,
  ServerInterceptingCall,
  type ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';
import { AUTHORIZATION_HEADER } from '@repo/wire';
import { StatusError, toServiceError } from './errors';

/** Shorter tokens are refused at start-up: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/** The same details for a missing, malformed and wrong token: a caller learns nothing more. */
export const UNAUTHENTICATED_DETAILS = 'missing or invalid bearer token';

/**
 * Reachable without a token: orchestrators, load balancers and probes ask health, and grpcurl
 * asks reflection before it can send anything else. Matched against the path of the handler
 * grpc-js resolved, which it finds by exact lookup of `:path` among the registered paths (no
 * normalisation of case, slashes or prefixes): a call routed to any other handler needs a token.
 */
const PUBLIC_SERVICES: ReadonlySet<string> = new Set([
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);

const unauthenticated = new StatusError(status.UNAUTHENTICATED, UNAUTHENTICATED_DETAILS, {
  reason: 'TOKEN_INVALID',
});

const BEARER = /^Bearer +(\S+) *$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The service of a registered method path: `helloworld.Greeter` for `/helloworld.Greeter/SayHello`. */
function serviceOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/**
 * What checks a call's `authorization` values (every one it carries) against `token`: true for
 * exactly one `Bearer <token>`. Compares SHA-256 digests with `timingSafeEqual`: equal lengths
 * whatever was sent, so that neither the token's content nor its length shows in the time the
 * comparison takes. Throws (without showing it) for a token shorter than MIN_TOKEN_LENGTH.
 * The auth interceptor and the gateway both check tokens with it.
 */
export function createBearerCheck(token: string): (values: readonly unknown[]) => boolean {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(`a bearer token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  const expected = digest(token);
  return (values) => {
    const [value] = values;
    if (values.length !== 1 || typeof value !== 'string') return false;
    const presented = BEARER.exec(value)?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}

/**
 * A server interceptor that lets a call through only if it carries `authorization: Bearer
 * <token>`; any other call ends with UNAUTHENTICATED ("missing or invalid bearer token") before
 * its handler runs. Health and reflection (PUBLIC_SERVICES) need no token. The header is removed
 * before the handler sees the metadata, so that no handler can log or forward it. Put it after
 * the call-log interceptor, which then logs rejected calls too. It never logs the token.
 * Throws (without showing it) for a token shorter than MIN_TOKEN_LENGTH.
 */
export function createAuthInterceptor(token: string): ServerInterceptor {
  const isToken = createBearerCheck(token);
  return (methodDescriptor, call) => {
    if (PUBLIC_SERVICES.has(serviceOf(methodDescriptor.path))) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (!isToken(metadata.get(AUTHORIZATION_HEADER))) {
          // Not calling next() holds back the metadata, the messages and the half-close: the
          // handler is never started (grpc-js starts it from these events).
          call.sendStatus(toServiceError(unauthenticated, serviceOf(methodDescriptor.path)));
          return;
        }
        metadata.remove(AUTHORIZATION_HEADER);
        next(metadata);
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}
