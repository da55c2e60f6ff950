import { status } from '@grpc/grpc-js';
import { build } from 'hdr-histogram-js';

/** The error name of a failed call: its gRPC status name, or CODE_<n> for a code gRPC does not define. */
export function reasonOf(code: number): string {
  return status[code] ?? `CODE_${code}`;
}

/**
 * The state every worker of a run shares: which phase it is in, whether another call may start,
 * and what was measured. A call counts when it ends within the measured window.
 */
export class Tally {
  /** Nanoseconds per successful call, or per message round trip (all-stream): within 0.1 %. */
  readonly latency = build({ numberOfSignificantValueDigits: 3 });
  readonly errors: Record<string, number> = {};
  calls = 0;
  messages = 0;
  running = 0;
  /** Resolves once the run has stopped and no call is running any more. */
  readonly idle: Promise<void>;
  private becomeIdle = () => {};
  private phase: 'warmup' | 'measure' | 'stopped' = 'warmup';

  constructor() {
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

  /** Asks to start a call; each call it allows must then succeed or fail once. */
  open(): boolean {
    if (this.phase === 'stopped') return false;
    this.running++;
    return true;
  }

  /** One message of a call got through; `latencyNs` when messages are what latency is measured on. */
  message(latencyNs?: number): void {
    if (this.phase !== 'measure') return;
    this.messages++;
    if (latencyNs !== undefined) this.latency.recordValue(Math.round(latencyNs));
  }

  /** `count` messages of a call got through at once (a PutStream summary confirms them). */
  messagesConfirmed(count: number): void {
    if (this.phase === 'measure') this.messages += count;
  }

  /** The call ended OK with the expected payload; `latencyNs` when calls are what latency is measured on. */
  succeed(latencyNs?: number): void {
    if (this.phase === 'measure') {
      this.calls++;
      if (latencyNs !== undefined) this.latency.recordValue(Math.round(latencyNs));
    }
    this.close();
  }

  /** The call ended with `reason`: a gRPC status name (see reasonOf) or BAD_PAYLOAD. */
  fail(reason: string): void {
    if (this.phase === 'measure') this.errors[reason] = (this.errors[reason] ?? 0) + 1;
    this.close();
  }

  private close(): void {
    this.running--;
    if (this.phase === 'stopped' && this.running === 0) this.becomeIdle();
  }
}
