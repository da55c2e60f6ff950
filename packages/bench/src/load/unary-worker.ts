import type { Client, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { GreeterService, type HelloReply } from '@repo/proto';
import { reasonOf } from './tally';
import { passThrough, Worker, type WorkerContext } from './worker';

const { path, requestSerialize, responseDeserialize } = GreeterService.sayHello;

/** helloworld.Greeter/SayHello in a loop; a reply other than `Hello <name>` is BAD_PAYLOAD. */
export class UnaryWorker extends Worker {
  private call: ClientUnaryCall | undefined;
  private readonly request: Buffer;
  private readonly expected: string;

  constructor(
    context: WorkerContext,
    private readonly client: Client,
    name: string,
  ) {
    super(context);
    this.request = requestSerialize({ name });
    this.expected = `Hello ${name}`;
  }

  protected begin(): void {
    this.call = this.client.makeUnaryRequest(
      path,
      passThrough,
      responseDeserialize,
      this.request,
      this.callOptions(),
      this.onReply,
    );
  }

  cancel(): void {
    this.call?.cancel();
  }

  // One callback for every call of this worker: grpc-js calls it exactly once per call.
  private readonly onReply = (err: ServiceError | null, reply?: HelloReply): void => {
    const latencyNs = this.nanosSince(this.startedAt);
    this.call = undefined;
    if (err) {
      this.failed(reasonOf(err.code));
      return;
    }
    if (reply?.message !== this.expected) {
      this.failed('BAD_PAYLOAD');
      return;
    }
    this.succeeded(latencyNs);
  };
}
