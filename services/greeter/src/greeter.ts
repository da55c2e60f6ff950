import type { GreeterServer, HelloRequest } from '@repo/proto';
import { checkText, invalidArgument, type Violation } from '@repo/server-kit';

/** Longest name the Greeter accepts, in characters (Unicode code points). */
export const MAX_NAME_LENGTH = 256;

/**
 * What is wrong with a HelloRequest (reason NAME_EMPTY, NAME_TOO_LONG or NAME_INVALID_TEXT), or
 * undefined when it can be answered.
 */
export function checkHelloRequest(request: HelloRequest): Violation | undefined {
  return checkText(request.name, { field: 'name', maxLength: MAX_NAME_LENGTH });
}

/** The greeting, exactly as the grpc-go and grpc-node helloworld servers word it. */
export function greet(name: string): string {
  return `Hello ${name}`;
}

/** The helloworld.Greeter handlers. */
export function greeterHandlers(): GreeterServer {
  return {
    sayHello(call, callback) {
      const problem = checkHelloRequest(call.request);
      if (problem) {
        callback(invalidArgument(problem));
        return;
      }
      callback(null, { message: greet(call.request.name) });
    },
  };
}
