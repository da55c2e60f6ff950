import type { Deadline } from '@grpc/grpc-js';
import { type GreeterServer, GreeterService } from '@repo/proto';
import { createServer, invalidArgument } from '@repo/server-kit';
import { type Served, type StreamStack, serve, startStackAround } from './stack';

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

function toMs(deadline: Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * A Greeter that records what each call carried. It answers `Hello <name>` at once, except for
 * the name 'hang', which it never answers (that call ends only when cancelled or out of time),
 * and names that start with 'invalid', answered INVALID_ARGUMENT.
 */
export async function serveTestGreeter(): Promise<TestGreeter> {
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
      if (call.request.name === 'hang') return;
      if (call.request.name.startsWith('invalid')) {
        callback(invalidArgument('name: not this one'));
        return;
      }
      callback(null, { message: `Hello ${call.request.name}` });
    },
  };
  const served = await serve('test-greeter', (logger) =>
    createServer({ logger, services: [{ definition: GreeterService, implementation }] }),
  );
  return { ...served, calls };
}

/** The stream service pointed at a test Greeter, and the client library pointed at it. */
export async function startStackWithTestGreeter(): Promise<StreamStack & { greeter: TestGreeter }> {
  return startStackAround(await serveTestGreeter());
}
