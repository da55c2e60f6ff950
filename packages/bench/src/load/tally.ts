import { status } from '@grpc/grpc-js';
import { build } from 'hdr-histogram-js';

/** What `Tally.open` hands a call: refused (the run wants no more calls), unmeasured, or measured. */
export type Ticket = -1 | 0 | 1;
export const REFUSED: Ticket = -1;
const UNMEASURED: Ticket = 0;
const MEASURED: Ticket = 1;

type Phase = 'warmup' | 'measure' | 'stopped';

/** The error name of a failed call: its gRPC status name, or CODE_<n> for a code gRPC does not define. */
export function reasonOf(code: number): string {
  return status[code] ?? `CODE_${code}`;
}

/**
 * The state every worker of a run shares: which phase it is in, whether another call may start,
 * and what was measured. By duration, a call counts when it ends within the measured window; by
 * count, when it was one of the `count` calls started once the window opened.
 */
export class Tally {
  /** Nanoseconds per successful call, or per message round trip (all-stream): within 0.1 %. */
  readonly latency = build({ numberOfSignificantValueDigits: 3 });
  readonly errors: Record<string, number> = {};
  calls = 0;
  messages = 0;
  /** Calls that have ended in any phase, and those of them that failed: for progress reports. */
  ended = 0;
  endedFailed = 0;
  running = 0;
  /** Resolves when the last of the `count` measured calls has ended. */
  readonly countReached: Promise<void>;
  /** Resolves when the run has stopped and no call is running any more. */
  readonly idle: Promise<void>;
  private reachCount = () => {};
  private becomeIdle = () => {};
  private phase: Phase = 'warmup';
  private toStart: number;
  private measuredRunning = 0;

  /** `count`: the calls to measure; undefined measures by duration. */
  constructor(private readonly count: number | undefined) {
    this.toStart = count ?? Number.POSITIVE_INFINITY;
    this.countReached = new Promise((resolve) => {
      this.reachCount = resolve;
    });
    this.idle = new Promise((resolve) => {
      this.becomeIdle = resolve;
    });
  }

  openWindow(): void {
    this.phase = 'measure';
  }

  /** No call starts any more; the ones still running end in their own time (see idle). */
  stop(): void {
    this.phase = 'stopped';
    if (this.running === 0) this.becomeIdle();
  }

  /** Asks to start a call; every ticket but REFUSED must be given back to succeed or fail once. */
  open(): Ticket {
    if (this.phase === 'stopped') return REFUSED;
    if (this.phase === 'warmup' || this.count === undefined) {
      this.running++;
      return UNMEASURED;
    }
    if (this.toStart === 0) return REFUSED;
    this.toStart--;
    this.running++;
    this.measuredRunning++;
    return MEASURED;
  }

  /** Whether what a call holding `ticket` does now is measured. */
  counts(ticket: Ticket): boolean {
    return this.phase === 'measure' && (this.count === undefined || ticket === MEASURED);
  }

  /** One message of a call got through; `latencyNs` when messages are what latency is measured on. */
  message(ticket: Ticket, latencyNs?: number): void {
    if (!this.counts(ticket)) return;
    this.messages++;
    if (latencyNs !== undefined) this.latency.recordValue(Math.round(latencyNs));
  }

  /** `count` messages of a call got through at once (a PutStream summary confirms them). */
  messagesConfirmed(ticket: Ticket, count: number): void {
    if (this.counts(ticket)) this.messages += count;
  }

  /** The call ended OK with the expected payload; `latencyNs` when calls are what latency is measured on. */
  succeed(ticket: Ticket, latencyNs?: number): void {
    if (this.counts(ticket)) {
      this.calls++;
      if (latencyNs !== undefined) this.latency.recordValue(Math.round(latencyNs));
    }
    this.close(ticket, false);
  }

  /** The call ended with `reason`: a gRPC status name (see reasonOf) or BAD_PAYLOAD. */
  fail(ticket: Ticket, reason: string): void {
    if (this.counts(ticket)) this.errors[reason] = (this.errors[reason] ?? 0) + 1;
    this.close(ticket, true);
  }

  private close(ticket: Ticket, failed: boolean): void {
    this.ended++;
    if (failed) this.endedFailed++;
    this.running--;
    if (ticket === MEASURED) {
      this.measuredRunning--;
      if (this.phase === 'measure' && this.toStart === 0 && this.measuredRunning === 0) this.reachCount();
    }
    if (this.phase === 'stopped' && this.running === 0) this.becomeIdle();
  }
}
