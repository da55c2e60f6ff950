import { type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type {
  GetStreamResponse,
  GreeterServer,
  HelloReply,
  HelloRequest,
  PutStreamResponse,
  StreamServiceServer,
} from '@repo/proto';
import { forEachMessage, invalidArgument, messagesOf, StatusError, signalOf, violation } from '../../src';
import { delay } from './timing';

/** What a failing handler knows and the client must never see. */
export const SECRET = 'db password hunter2';

export const SECRET_ERROR_MESSAGE = `cannot reach the database (${SECRET})`;

type UnaryBehaviour = (
  call: ServerUnaryCall<HelloRequest, HelloReply>,
  callback: sendUnaryData<HelloReply>,
) => unknown;

/** Hooks a test uses to see where a handler is. */
export interface TestHooks {
  /** A `slow` SayHello or an `until-cancelled` GetStream has started. */
  started?: () => void;
  /** An `until-cancelled` GetStream saw its signal abort. */
  aborted?: () => void;
}

/**
 * A helloworld.Greeter whose SayHello does what the name says: every way a handler can fail,
 * and a greeting for any other name.
 */
export function createTestGreeter(hooks: TestHooks = {}): GreeterServer {
  const behaviours: Record<string, UnaryBehaviour> = {
    throw: () => {
      throw new Error(SECRET_ERROR_MESSAGE);
    },
    reject: async () => {
      await delay(1);
      throw new Error(SECRET_ERROR_MESSAGE);
    },
    'callback-error': (_call, callback) => callback(new Error(SECRET_ERROR_MESSAGE), null),
    'status-object': (_call, callback) => callback({ code: status.NOT_FOUND, details: SECRET }, null),
    'status-error': () => {
      throw new StatusError(status.NOT_FOUND, 'no greeting for ghost');
    },
    'rejected-status-error': async () => {
      await delay(1);
      throw new StatusError(status.RESOURCE_EXHAUSTED, 'too many greetings today');
    },
    'callback-status-error': (_call, callback) =>
      callback(new StatusError(status.FAILED_PRECONDITION, 'the greeter is resting'), null),
    'error-after-answer': (_call, callback) => {
      callback(null, { message: 'Hello again' });
      throw new Error(SECRET_ERROR_MESSAGE);
    },
    slow: async (call, callback) => {
      hooks.started?.();
      await delay(200, signalOf(call));
      callback(null, { message: 'Hello, eventually' });
    },
  };
  return {
    sayHello(call, callback) {
      const behaviour = behaviours[call.request.name];
      if (behaviour) return behaviour(call, callback);
      callback(null, { message: `Hello ${call.request.name}` });
      return undefined;
    },
  };
}

function message(index: number, text: string): GetStreamResponse {
  return { index, text, payload: Buffer.alloc(0) };
}

/** How a test service's PutStream reads its client stream: the kit has two ways. */
export type ClientStreamReader = 'messagesOf' | 'forEachMessage';

/** A stream.v1.StreamService whose handlers fail, or wait, as their first message says. */
export function createTestStreamService(
  hooks: TestHooks = {},
  reader: ClientStreamReader = 'messagesOf',
): StreamServiceServer {
  return {
    getStream(call) {
      const { text, count } = call.request;
      switch (text) {
        case 'throw':
          throw new Error(SECRET_ERROR_MESSAGE);
        case 'reject':
          return Promise.reject(new Error(SECRET_ERROR_MESSAGE));
        case 'write-then-reject':
          return (async () => {
            call.write(message(1, text));
            await delay(10);
            throw new Error(SECRET_ERROR_MESSAGE);
          })();
        case 'status-error':
          return Promise.reject(new StatusError(status.OUT_OF_RANGE, 'count must be at most 10'));
        case 'until-cancelled':
          return new Promise<void>((resolve) => {
            signalOf(call).addEventListener('abort', () => {
              hooks.aborted?.();
              resolve();
            });
            hooks.started?.();
          });
        default:
          for (let index = 1; index <= count; index++) call.write(message(index, text));
          call.end();
          return undefined;
      }
    },
    async putStream(call, callback) {
      const summary: PutStreamResponse = { count: 0, bytes: 0, preview: '' };
      if (reader === 'forEachMessage') {
        await forEachMessage(call, ({ text }: { text: string }) => {
          if (text === 'boom') throw new Error(SECRET_ERROR_MESSAGE);
          // Stops reading with the client still sending: its status must still get out.
          if (text === 'bad') throw invalidArgument(violation('text', 'must not be "bad"', 'BAD'));
          summary.count++;
          summary.bytes += Buffer.byteLength(text);
        });
        callback(null, summary);
        return;
      }
      for await (const { text } of messagesOf<{ text: string }>(call)) {
        if (text === 'boom') throw new Error(SECRET_ERROR_MESSAGE);
        if (text === 'bad') {
          // Leaves the loop with the client still sending: its status must still get out.
          callback(invalidArgument(violation('text', 'must not be "bad"', 'BAD')));
          return;
        }
        summary.count++;
        summary.bytes += Buffer.byteLength(text);
      }
      callback(null, summary);
    },
    async allStream(call) {
      for await (const { name } of messagesOf<{ name: string }>(call)) {
        if (name === 'boom') throw new Error(SECRET_ERROR_MESSAGE);
        // Leaves the loop with the client still sending: the stream must stay open for the status.
        if (name === 'bad') throw invalidArgument(violation('name', 'must not be "bad"', 'BAD'));
        call.write({ message: `Hello ${name}`, servedBy: '' });
      }
      call.end();
    },
  };
}
