/**
 * Counts the handlers whose work is not finished yet, and keeps them under a limit: a handler
 * counts from its start until it answers (unary), its promise settles (an async streaming
 * handler), or its call ends (any other streaming handler). A client that resets
 * its stream does not end that work, so the count, unlike HTTP/2's MAX_CONCURRENT_STREAMS,
 * bounds what resetting clients can start.
 */
export class HandlerGauge {
  running = 0;
  /** The highest `running` seen. */
  peak = 0;
  /** Calls refused because `limit` handlers were running. */
  refused = 0;

  private readonly interrupts = new Set<() => void>();

  constructor(readonly limit = Number.POSITIVE_INFINITY) {}

  /**
   * Counts one more handler and returns its release (idempotent); undefined when at the limit.
   * `interrupt` is how interruptAll stops that handler while it runs.
   */
  acquire(interrupt: () => void = () => {}): (() => void) | undefined {
    if (this.running >= this.limit) {
      this.refused++;
      return undefined;
    }
    this.running++;
    if (this.running > this.peak) this.peak = this.running;
    this.interrupts.add(interrupt);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.interrupts.delete(interrupt);
    };
  }

  /** Interrupts every handler still running (at the end of a shutdown's grace); returns how many. */
  interruptAll(): number {
    const interrupts = [...this.interrupts];
    for (const interrupt of interrupts) interrupt();
    return interrupts.length;
  }
}

/** The details of a call refused because the server is at its MAX_RUNNING_HANDLERS. */
export function busyDetails(limit: number): string {
  return `server busy: ${limit} calls running, try again later`;
}
