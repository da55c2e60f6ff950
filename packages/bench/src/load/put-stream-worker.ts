import type { Client, ClientWritableStream, ServiceError } from '@grpc/grpc-js';
import { type PutStreamResponse, StreamServiceService } from '@repo/proto';
import { reasonOf } from './tally';
import { passThrough, Worker, type WorkerContext } from './worker';

const { path, requestSerialize, responseDeserialize } = StreamServiceService.putStream;

/**
 * stream.v1.StreamService/PutStream in a loop: `count` messages of `text`, written as fast as
 * the call's flow control allows, then the half-close. The summary must confirm `count`
 * messages and their total UTF-8 length, or the call counts as BAD_PAYLOAD. Latency is the
 * whole call's; the messages count once the summary confirms them.
 */
export class PutStreamWorker extends Worker {
  private call: ClientWritableStream<Buffer> | undefined;
  private readonly message: Buffer;
  private readonly expectedBytes: number;

  constructor(
    context: WorkerContext,
    private readonly client: Client,
    text: string,
    private readonly count: number,
  ) {
    super(context);
    this.message = requestSerialize({ text });
    this.expectedBytes = Buffer.byteLength(text, 'utf8') * count;
  }

  protected begin(): void {
    let finished = false;
    const call = this.client.makeClientStreamRequest(
      path,
      passThrough,
      responseDeserialize,
      this.callOptions(),
      (err: ServiceError | null, summary?: PutStreamResponse) => {
        finished = true;
        this.call = undefined;
        this.onSummary(err, summary);
      },
    ) as ClientWritableStream<Buffer>;
    this.call = call;
    let sent = 0;
    const pump = (): void => {
      while (!finished && sent < this.count && !this.wrappingUp) {
        sent++;
        if (!call.write(this.message)) {
          if (sent < this.count && !this.wrappingUp) call.once('drain', pump);
          else call.end();
          return;
        }
      }
      if (!finished) call.end();
    };
    pump();
  }

  cancel(): void {
    this.call?.cancel();
  }

  private onSummary(err: ServiceError | null, summary: PutStreamResponse | undefined): void {
    if (err) {
      this.failed(reasonOf(err.code));
      return;
    }
    if (summary?.count !== this.count || summary.bytes !== this.expectedBytes) {
      this.failed('BAD_PAYLOAD');
      return;
    }
    this.context.tally.messagesConfirmed(this.ticket, this.count);
    this.succeeded(this.nanosSince(this.startedAt));
  }
}
