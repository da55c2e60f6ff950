import { type Client, type ClientDuplexStream, status } from '@grpc/grpc-js';
import { type AllStreamResponse, StreamServiceService } from '@repo/proto';
import { reasonOf } from './tally';
import { passThrough, Worker, type WorkerContext, whenCallEnds } from './worker';

const { path, requestSerialize, responseDeserialize } = StreamServiceService.allStream;

/**
 * stream.v1.StreamService/AllStream in a loop: `count` names per call, each sent once the
 * previous greeting has arrived, so that every round trip (client, stream service, Greeter and
 * back) is timed alone; latency is per message. A greeting other than `Hello <name>`, or a call
 * that ends OK with fewer than `count` of them, counts as BAD_PAYLOAD.
 */
export class AllStreamWorker extends Worker {
  private call: ClientDuplexStream<Buffer, AllStreamResponse> | undefined;
  private readonly message: Buffer;
  private readonly expected: string;

  constructor(
    context: WorkerContext,
    private readonly client: Client,
    name: string,
    private readonly count: number,
  ) {
    super(context);
    this.message = requestSerialize({ name });
    this.expected = `Hello ${name}`;
  }

  protected begin(): void {
    const { tally } = this.context;
    const ticket = this.ticket;
    const call = this.client.makeBidiStreamRequest(
      path,
      passThrough,
      responseDeserialize,
      this.callOptions(),
    ) as ClientDuplexStream<Buffer, AllStreamResponse>;
    this.call = call;
    let received = 0;
    let bad = false;
    let sentAt = performance.now();
    call.on('data', (reply: AllStreamResponse) => {
      if (bad) return;
      if (reply.message !== this.expected || received === this.count) {
        bad = true;
        call.cancel();
        return;
      }
      received++;
      tally.message(ticket, this.nanosSince(sentAt));
      if (received < this.count && !this.wrappingUp) {
        sentAt = performance.now();
        call.write(this.message);
      } else {
        call.end();
      }
    });
    whenCallEnds(call, (code) => {
      this.call = undefined;
      if (bad || (code === status.OK && received !== this.count)) {
        this.failed('BAD_PAYLOAD');
        return;
      }
      if (code !== status.OK) {
        this.failed(reasonOf(code));
        return;
      }
      this.succeeded();
    });
    call.write(this.message);
  }

  cancel(): void {
    this.call?.cancel();
  }
}
