// Instruments that aggregate as they record, the way OpenTelemetry's SDK aggregates a counter or
// an explicit-bucket histogram, read by the SDK's metric readers through a MetricProducer
// (producer.ts). Why not the SDK's own instruments: every record there hashes its attributes into
// a string and looks the series up by it, ~0.9 µs a record, and a gRPC call records four (gRFC
// A66): 3.7 µs of a 30 µs unary call (BENCHMARKS.md). Here the caller keeps the point of its
// series (one per method and status) and a record is a few additions. It also lets calls be
// counted before the SDK has loaded: startTelemetry loads it after the service serves.
//
// Nothing here may import the SDK: this module is on every service's start-up path.
import type { Attributes } from '@opentelemetry/api';

export interface InstrumentDescriptor {
  readonly name: string;
  /** UCUM, as OpenTelemetry writes it: `s`, `By`, `{call}`. */
  readonly unit: string;
  readonly description: string;
}

/** A monotonic sum of one series. */
export class CounterPoint {
  value = 0;

  constructor(readonly attributes: Attributes) {}

  add(increment: number): void {
    this.value += increment;
  }
}

/**
 * A histogram of one series over fixed bucket boundaries: bucket `i` counts the values in
 * (`boundaries[i - 1]`, `boundaries[i]`], the last one those above every boundary (OpenTelemetry's
 * explicit-bucket aggregation).
 */
export class HistogramPoint {
  readonly counts: number[];
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(
    readonly attributes: Attributes,
    readonly boundaries: readonly number[],
  ) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    const bucket = bucketOf(this.boundaries, value);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

/** The index of the first boundary at or above `value`; past the last one when there is none. */
function bucketOf(boundaries: readonly number[], value: number): number {
  let bucket = 0;
  for (const boundary of boundaries) {
    if (value <= boundary) return bucket;
    bucket += 1;
  }
  return bucket;
}

/** The series of one instrument, each made on its first use. */
export class Series<P> {
  readonly points = new Map<string, P>();

  constructor(
    readonly descriptor: InstrumentDescriptor,
    private readonly make: (attributes: Attributes) => P,
  ) {}

  /**
   * The point of the series `key` names, made with `attributes()` the first time: keep it, and
   * record into it, rather than calling this per record.
   */
  point(key: string, attributes: () => Attributes): P {
    let point = this.points.get(key);
    if (point === undefined) {
      point = this.make(attributes());
      this.points.set(key, point);
    }
    return point;
  }
}

/** An instrument read at each collection: the sum of what its readers return, no attributes. */
export class Observed {
  readonly readers: (() => number)[] = [];

  constructor(
    readonly descriptor: InstrumentDescriptor,
    /** `gauge`: a value now; `counter`: a monotonic total. */
    readonly kind: 'gauge' | 'counter',
  ) {}

  read(): number {
    let total = 0;
    for (const read of this.readers) total += read();
    return total;
  }
}

type Instrument = Series<CounterPoint> | Series<HistogramPoint> | Observed;

/**
 * The instruments of one process, cumulative since `startTime`. The kits record gRPC's standard
 * metrics into it; startTelemetry's readers export it. Asking for an instrument by a name already
 * registered gives the same instrument (two servers in one process share their series), so long
 * as it is of the same kind.
 */
export class MetricRegistry {
  /** When the sums began, in ms since the epoch (every point is cumulative from it). */
  readonly startTime = Date.now();
  readonly counters: Series<CounterPoint>[] = [];
  readonly histograms: Series<HistogramPoint>[] = [];
  readonly observed: Observed[] = [];
  private readonly byName = new Map<string, Instrument>();

  counter(descriptor: InstrumentDescriptor): Series<CounterPoint> {
    return this.register(
      descriptor,
      this.counters,
      () => new Series(descriptor, (at) => new CounterPoint(at)),
    );
  }

  histogram(descriptor: InstrumentDescriptor, boundaries: readonly number[]): Series<HistogramPoint> {
    return this.register(
      descriptor,
      this.histograms,
      () => new Series(descriptor, (at) => new HistogramPoint(at, boundaries)),
    );
  }

  /** Adds `read` to the observed instrument of this name: its value is the sum of its readers'. */
  observe(descriptor: InstrumentDescriptor, kind: Observed['kind'], read: () => number): void {
    const instrument = this.register(descriptor, this.observed, () => new Observed(descriptor, kind));
    if (instrument.kind !== kind)
      throw new Error(`metric ${descriptor.name} is already a ${instrument.kind}`);
    instrument.readers.push(read);
  }

  private register<I extends Instrument>(descriptor: InstrumentDescriptor, list: I[], make: () => I): I {
    const known = this.byName.get(descriptor.name);
    if (known !== undefined) {
      if (!(list as Instrument[]).includes(known)) {
        throw new Error(`metric ${descriptor.name} is already registered as another kind of instrument`);
      }
      return known as I;
    }
    const instrument = make();
    this.byName.set(descriptor.name, instrument);
    list.push(instrument);
    return instrument;
  }
}
