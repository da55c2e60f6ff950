import type { Deadline } from '@grpc/grpc-js';
import { type GreeterServer, GreeterService } from '@repo/proto';
import { createServer, invalidArgument } from '@repo/server-kit';
import { type Served, serve } from './stack';

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
  /** The most SayHello calls it had in flight at once. */
  peakInFlight(): number;
}

function toMs(deadline: Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * A Greeter that records what each call carried. It answers `Hello <name>` at once, except for
 * the name 'hang', which it never answers (that call ends only when cancelled or out of time),
 * names that start with 'invalid', answered INVALID_ARGUMENT, and names that end in `~<ms>`
 * (`Ada~30`), answered that many ms later.
 */
export async function serveTestGreeter(): Promise<TestGreeter> {
  const calls: SeenCall[] = [];
  let inFlight = 0;
  let peak = 0;
  const implementation: GreeterServer = {
    sayHello(call, callback) {
      const seen: SeenCall = {
        name: call.request.name,
        deadline: toMs(call.getDeadline()),
        requestIds: call.metadata.get('x-request-id').map(String),
        cancelled: false,
      };
      calls.push(seen);
      inFlight++;
      peak = Math.max(peak, inFlight);
      let timer: NodeJS.Timeout | undefined;
      call.once('cancelled', () => {
        seen.cancelled = true;
        clearTimeout(timer);
      });
      const answer = () => {
        inFlight--;
        callback(null, { message: `Hello ${call.request.name}` });
      };
      const delayMs = /~(\d+)$/.exec(call.request.name)?.[1];
      if (call.request.name === 'hang') return;
      if (call.request.name.startsWith('invalid')) {
        inFlight--;
        callback(invalidArgument('name: not this one'));
        return;
      }
      if (delayMs) timer = setTimeout(answer, Number(delayMs));
      else answer();
    },
  };
  const served = await serve('test-greeter', (logger) =>
    createServer({ logger, services: [{ definition: GreeterService, implementation }] }),
  );
  return { ...served, calls, peakInFlight: () => peak };
}
