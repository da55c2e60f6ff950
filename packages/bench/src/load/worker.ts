import type { EventEmitter } from 'node:events';
import { type CallOptions, type StatusObject, status } from '@grpc/grpc-js';
import { REFUSED, type Tally, type Ticket } from './tally';

/** The request of every call is serialized once, before the run: grpc-js then sends that buffer as is. */
export const passThrough = (message: Buffer): Buffer => message;

/** For the 'error' event that grpc-js emits before 'status': the status is what we read. */
const ignore = (): void => {};

/**
 * Calls `done` with the status code of a call that streams its responses, once: after 'status'
 * and, when it is OK, after 'end' too, so that every message has been delivered first (the
 * status can overtake messages still in the stream's buffer).
 */
export function whenCallEnds(call: EventEmitter, done: (code: status) => void): void {
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

/** What every worker of a run gets. */
export interface WorkerContext {
  tally: Tally;
  /** The deadline of each call, in ms; undefined: none. */
  timeoutMs: number | undefined;
}

/**
 * One slot of the closed loop: it runs one call at a time and starts the next as soon as the
 * previous one has ended, until the tally refuses. Subclasses issue the call (`begin`) and
 * report its end with `succeeded` or `failed`, exactly once.
 */
export abstract class Worker {
  protected ticket: Ticket = REFUSED;
  /** performance.now() when the current call started, in ms. */
  protected startedAt = 0;
  /** Set once the window has closed: a streaming call then stops sending and half-closes. */
  protected wrappingUp = false;
  private readonly noOptions: CallOptions = {};

  constructor(protected readonly context: WorkerContext) {}

  /** Starts the next call, unless the run wants no more. */
  readonly start = (): void => {
    const ticket = this.context.tally.open();
    if (ticket === REFUSED) return;
    this.ticket = ticket;
    this.startedAt = performance.now();
    this.begin();
  };

  /**
   * The window has closed: what the current call still does is not measured, so a call that
   * sends many messages ends early rather than delay the end of the run.
   */
  wrapUp(): void {
    this.wrappingUp = true;
  }

  /** Cancels the call in progress, if any (it then ends with CANCELLED). */
  abstract cancel(): void;

  protected abstract begin(): void;

  /** The options of a new call: a shared empty object unless each call needs its own deadline. */
  protected callOptions(): CallOptions {
    const { timeoutMs } = this.context;
    return timeoutMs === undefined ? this.noOptions : { deadline: Date.now() + timeoutMs };
  }

  /** Nanoseconds since `since` (a performance.now() reading, in ms). */
  protected nanosSince(since: number): number {
    return (performance.now() - since) * 1e6;
  }

  /** The call ended well: the next one starts at once (this runs in an I/O callback). */
  protected succeeded(latencyNs?: number): void {
    this.context.tally.succeed(this.ticket, latencyNs);
    this.start();
  }

  /**
   * The call failed: the next one starts on a later turn of the event loop. A channel that
   * cannot connect fails calls without any I/O, and the timers that end the run must get
   * their turn.
   */
  protected failed(reason: string): void {
    this.context.tally.fail(this.ticket, reason);
    setImmediate(this.start);
  }
}
