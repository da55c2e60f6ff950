import type { Deadline } from '@grpc/grpc-js';
import { type GreeterServer, GreeterService } from '@repo/proto';
import { createServer, invalidArgument, violation } from '@repo/server-kit';
import { type Served, type ServerTls, serve } from './serve';

/** What the test Greeter saw of one SayHello call. */
export interface SeenCall {
  name: string;
  /** The call's deadline in ms since the epoch; Infinity when it had none. */
  deadline: number;
  requestIds: string[];
  cancelled: boolean;
}

export interface TestGreeter extends Served {
  calls: SeenCall[];
}

export interface TestGreeterOptions {
  /** The bearer token it requires, as the Greeter's AUTH_TOKEN; none by default. */
  authToken?: string;
  /** TLS to serve, as the Greeter's TLS_* settings give; plaintext by default. */
  tls?: ServerTls;
  /** Greets 'hang' and 'invalid…' too, for names a test does not choose (a fuzzer's). */
  greetsEveryName?: boolean;
}

function toMs(deadline: Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * A Greeter that records what each call carried, on server-kit as the real one is (health, call
 * log, auth, the servedBy header), so that the stream service's tests need no other service. It
 * answers `Hello <name>` at once, except for the name 'hang', which it never answers (that call
 * ends only when cancelled or out of time), and names that start with 'invalid', answered
 * INVALID_ARGUMENT. Unlike the real Greeter it checks no name: the stream service must.
 */
export async function serveTestGreeter({
  authToken,
  tls,
  greetsEveryName = false,
}: TestGreeterOptions = {}): Promise<TestGreeter> {
  const calls: SeenCall[] = [];
  const implementation: GreeterServer = {
    sayHello(call, callback) {
      const seen: SeenCall = {
        name: call.request.name,
        deadline: toMs(call.getDeadline()),
        requestIds: call.metadata.get('x-request-id').map(String),
        cancelled: false,
      };
      calls.push(seen);
      call.once('cancelled', () => {
        seen.cancelled = true;
      });
      if (!greetsEveryName && call.request.name === 'hang') return;
      if (!greetsEveryName && call.request.name.startsWith('invalid')) {
        callback(invalidArgument(violation('name', 'is not this one', 'NOT_THIS_ONE')));
        return;
      }
      callback(null, { message: `Hello ${call.request.name}` });
    },
  };
  const served = await serve(
    'test-greeter',
    (logger) =>
      createServer({ logger, authToken, services: [{ definition: GreeterService, implementation }] }),
    tls,
  );
  return { ...served, calls };
}
