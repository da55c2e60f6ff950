import { type Client, type ClientReadableStream, status } from '@grpc/grpc-js';
import { type GetStreamResponse, StreamServiceService } from '@repo/proto';
import { reasonOf } from './tally';
import { passThrough, Worker, type WorkerContext, whenCallEnds } from './worker';

const { path, requestSerialize, responseDeserialize } = StreamServiceService.getStream;

export interface GetStreamShape {
  text: string;
  /** Messages the server streams per call. */
  count: number;
  /** Filler bytes per message. */
  payloadBytes: number;
}

/**
 * stream.v1.StreamService/GetStream in a loop. Every message must carry the next index from 1,
 * the text and the filler's length, and there must be `count` of them; otherwise the call is
 * cancelled at once and counts as BAD_PAYLOAD. Latency is the whole call's.
 */
export class GetStreamWorker extends Worker {
  private call: ClientReadableStream<GetStreamResponse> | undefined;
  private readonly request: Buffer;

  constructor(
    context: WorkerContext,
    private readonly client: Client,
    private readonly shape: GetStreamShape,
  ) {
    super(context);
    this.request = requestSerialize({ ...shape, intervalMs: 0 });
  }

  protected begin(): void {
    const { text, count, payloadBytes } = this.shape;
    const { tally } = this.context;
    const ticket = this.ticket;
    const call = this.client.makeServerStreamRequest(
      path,
      passThrough,
      responseDeserialize,
      this.request,
      this.callOptions(),
    ) as ClientReadableStream<GetStreamResponse>;
    this.call = call;
    let received = 0;
    let bad = false;
    call.on('data', (message: GetStreamResponse) => {
      if (bad) return;
      received++;
      if (message.index !== received || message.text !== text || message.payload.length !== payloadBytes) {
        bad = true;
        call.cancel();
        return;
      }
      tally.message(ticket);
    });
    whenCallEnds(call, (code) => {
      this.call = undefined;
      if (bad || (code === status.OK && received !== count)) {
        this.failed('BAD_PAYLOAD');
        return;
      }
      if (code !== status.OK) {
        this.failed(reasonOf(code));
        return;
      }
      this.succeeded(this.nanosSince(this.startedAt));
    });
  }

  cancel(): void {
    this.call?.cancel();
  }
}
