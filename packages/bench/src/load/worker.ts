import type { EventEmitter } from 'node:events';
import { type CallOptions, type Client, type ServiceError, type StatusObject, status } from '@grpc/grpc-js';
import { GreeterService, type HelloReply, type PutStreamResponse, StreamServiceService } from '@repo/proto';
import type { LoadKind } from './options';
import { reasonOf, type Tally } from './tally';

/** The request of every call is serialized once, before the run: grpc-js then sends that buffer as is. */
const passThrough = (message: Buffer): Buffer => message;

/** For the 'error' event that grpc-js emits before 'status': the status is what we read. */
const ignore = (): void => {};

/**
 * Calls `done` with the status code of a call that streams its responses, once: after 'status'
 * and, when it is OK, after 'end' too, so that every message has been delivered first (the
 * status can overtake messages still in the stream's buffer).
 */
function whenCallEnds(call: EventEmitter, done: (code: status) => void): void {
  let code: status | undefined;
  let ended = false;
  let settled = false;
  const settle = () => {
    if (settled || code === undefined || (code === status.OK && !ended)) return;
    settled = true;
    done(code);
  };
  call.on('status', (received: StatusObject) => {
    code = received.code;
    settle();
  });
  call.on('end', () => {
    ended = true;
    settle();
  });
  call.on('error', ignore);
}

/** A call in progress, as its worker cancels it (it then ends with CANCELLED). */
interface Call {
  cancel(): void;
}

/** No deadline: a deadline costs grpc-js a timer per call, and the run's drain bounds every call. */
const NO_OPTIONS: CallOptions = {};
/** What unary and AllStream calls greet, and the text of every GetStream and PutStream message. */
const NAME = 'world';
const TEXT = 'hello';

/**
 * One slot of the closed loop: it runs one call at a time and starts the next as soon as the
 * previous one has ended, until the tally refuses. What a call is comes from CALLS, by kind;
 * each call reports its end with `end`, exactly once.
 */
export class Worker {
  /** performance.now() when the current call started, in ms. */
  startedAt = 0;
  /**
   * Set once the window has closed: what the current call still does is not measured, so a
   * streaming call stops sending and half-closes rather than delay the end of the run.
   */
  wrappingUp = false;
  /** The call in progress, if any, to cancel when it outlasts the drain. */
  call: Call | undefined;
  private readonly begin: () => Call;

  constructor(
    readonly tally: Tally,
    client: Client,
    kind: LoadKind,
    messagesPerCall: number,
  ) {
    this.begin = CALLS[kind](this, client, messagesPerCall);
  }

  /** Starts the next call, unless the run wants no more. */
  readonly start = (): void => {
    if (!this.tally.open()) return;
    this.startedAt = performance.now();
    this.call = this.begin();
  };

  /** Nanoseconds since the current call started. */
  nanos(): number {
    return (performance.now() - this.startedAt) * 1e6;
  }

  /**
   * The call ended with `code`; `bad` when it ended OK with a wrong or missing answer
   * (BAD_PAYLOAD). A success starts the next call at once (this runs in an I/O callback); a
   * failure on a later turn of the event loop: a channel that cannot connect fails calls without
   * any I/O, and the timers that end the run must get their turn.
   */
  end(code: status, bad: boolean, latencyNs?: number): void {
    this.call = undefined;
    if (!bad && code === status.OK) {
      this.tally.succeed(latencyNs);
      this.start();
      return;
    }
    this.tally.fail(bad ? 'BAD_PAYLOAD' : reasonOf(code));
    setImmediate(this.start);
  }
}

/** Sets up what every call of a worker shares, and returns what starts one call. */
type CallKind = (worker: Worker, client: Client, count: number) => () => Call;

/** helloworld.Greeter/SayHello; a reply other than `Hello world` is BAD_PAYLOAD. */
const unary: CallKind = (worker, client) => {
  const { path, requestSerialize, responseDeserialize } = GreeterService.sayHello;
  const request = requestSerialize({ name: NAME });
  const expected = `Hello ${NAME}`;
  // One callback for every call of this worker: grpc-js calls it exactly once per call.
  const onReply = (err: ServiceError | null, reply?: HelloReply): void => {
    const latencyNs = worker.nanos();
    worker.end(err ? err.code : status.OK, !err && reply?.message !== expected, latencyNs);
  };
  return () => client.makeUnaryRequest(path, passThrough, responseDeserialize, request, NO_OPTIONS, onReply);
};

/**
 * stream.v1.StreamService/GetStream. Every message must carry the next index from 1 and the
 * text, and there must be `count` of them; otherwise the call is cancelled at once and counts as
 * BAD_PAYLOAD. Latency is the whole call's.
 */
const getStream: CallKind = (worker, client, count) => {
  const { path, requestSerialize, responseDeserialize } = StreamServiceService.getStream;
  const request = requestSerialize({ text: TEXT, count, payloadBytes: 0, intervalMs: 0 });
  return () => {
    const { tally } = worker;
    const call = client.makeServerStreamRequest(path, passThrough, responseDeserialize, request, NO_OPTIONS);
    let received = 0;
    let bad = false;
    call.on('data', (message) => {
      if (bad) return;
      received++;
      if (message.index !== received || message.text !== TEXT) {
        bad = true;
        call.cancel();
        return;
      }
      tally.message();
    });
    whenCallEnds(call, (code) =>
      worker.end(code, bad || (code === status.OK && received !== count), worker.nanos()),
    );
    return call;
  };
};

/**
 * stream.v1.StreamService/PutStream: `count` messages of the text, written as fast as the call's
 * flow control allows, then the half-close. The summary must confirm the count and the total
 * length, or the call counts as BAD_PAYLOAD. Latency is the whole call's; the messages count
 * once the summary confirms them.
 */
const putStream: CallKind = (worker, client, count) => {
  const { path, requestSerialize, responseDeserialize } = StreamServiceService.putStream;
  const message = requestSerialize({ text: TEXT });
  const expectedBytes = TEXT.length * count;
  return () => {
    let finished = false;
    const call = client.makeClientStreamRequest(
      path,
      passThrough,
      responseDeserialize,
      NO_OPTIONS,
      (err: ServiceError | null, summary?: PutStreamResponse) => {
        finished = true;
        const bad = !err && (summary?.count !== count || summary.bytes !== expectedBytes);
        if (!err && !bad) worker.tally.messagesConfirmed(count);
        worker.end(err ? err.code : status.OK, bad, worker.nanos());
      },
    );
    let sent = 0;
    const pump = (): void => {
      while (!finished && sent < count && !worker.wrappingUp) {
        sent++;
        if (!call.write(message)) {
          if (sent < count && !worker.wrappingUp) call.once('drain', pump);
          else call.end();
          return;
        }
      }
      if (!finished) call.end();
    };
    pump();
    return call;
  };
};

/**
 * stream.v1.StreamService/AllStream: `count` names a call, each sent once the previous greeting
 * has arrived, so that every round trip (client, stream service, Greeter and back) is timed
 * alone; latency is per message. A greeting other than `Hello world`, or a call that ends OK
 * with fewer of them, counts as BAD_PAYLOAD.
 */
const allStream: CallKind = (worker, client, count) => {
  const { path, requestSerialize, responseDeserialize } = StreamServiceService.allStream;
  const message = requestSerialize({ name: NAME });
  const expected = `Hello ${NAME}`;
  return () => {
    const { tally } = worker;
    const call = client.makeBidiStreamRequest(path, passThrough, responseDeserialize, NO_OPTIONS);
    let received = 0;
    let bad = false;
    let sentAt = performance.now();
    call.on('data', (reply) => {
      if (bad) return;
      if (reply.message !== expected || received === count) {
        bad = true;
        call.cancel();
        return;
      }
      received++;
      tally.message((performance.now() - sentAt) * 1e6);
      if (received < count && !worker.wrappingUp) {
        sentAt = performance.now();
        call.write(message);
      } else {
        call.end();
      }
    });
    whenCallEnds(call, (code) => worker.end(code, bad || (code === status.OK && received !== count)));
    call.write(message);
    return call;
  };
};

const CALLS: Record<LoadKind, CallKind> = {
  unary,
  'get-stream': getStream,
  'put-stream': putStream,
  'all-stream': allStream,
};
