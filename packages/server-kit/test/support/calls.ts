import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { GreeterClient, type HelloReply } from '@repo/proto';
import { deadlineIn } from './timing';

export type Greeter = InstanceType<typeof GreeterClient>;

export function createGreeterClient(target: string): Greeter {
  return new GreeterClient(target, credentials.createInsecure());
}

/** What a SayHello call ended with: the reply or the error, and the response headers if any. */
export interface Outcome {
  reply: HelloReply | undefined;
  error: ServiceError | null;
  headers: Metadata | undefined;
}

/** Calls SayHello with a 5 s deadline and resolves with its outcome, failed or not. */
export function sayHello(
  client: Greeter,
  name: string,
  { requestId, timeoutMs = 5_000 }: { requestId?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  const metadata = new Metadata();
  if (requestId !== undefined) metadata.set('x-request-id', requestId);
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const call = client.sayHello({ name }, metadata, { deadline: deadlineIn(timeoutMs) }, (error, reply) =>
      resolve({ reply, error, headers }),
    );
    call.on('metadata', (received: Metadata) => {
      headers = received;
    });
  });
}
