import { Histogram } from '../src/load/histogram';

/** The exact quantile of sorted values, by the same definition as Histogram.quantile. */
function exactQuantile(sorted: number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/** A deterministic spread of values over nine orders of magnitude (a small LCG, not Math.random). */
function spread(count: number): number[] {
  let state = 12345;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    values.push(Math.floor(10 ** ((state / 2 ** 31) * 9)));
  }
  return values;
}

describe('Histogram', () => {
  it('reports zeros when nothing was recorded', () => {
    const histogram = new Histogram();
    expect([histogram.count, histogram.min, histogram.max, histogram.mean, histogram.quantile(0.5)]).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it('keeps values below 128 exactly', () => {
    const histogram = new Histogram();
    for (let value = 0; value < 128; value++) histogram.record(value);
    expect(histogram.quantile(0.5)).toBe(63);
    expect(histogram.quantile(0.01)).toBe(1);
    expect(histogram.quantile(1)).toBe(127);
  });

  it('answers every quantile within 0.4 % of the exact one over nine orders of magnitude', () => {
    const values = spread(50_000);
    const histogram = new Histogram();
    for (const value of values) histogram.record(value);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(histogram.quantile(q) - exact)).toBeLessThanOrEqual(exact / 256 + 0.5);
    }
  });

  it('keeps count, min, max and mean exact', () => {
    const histogram = new Histogram();
    for (const value of [1_000_003, 17, 5_000_000_000_001, 250]) histogram.record(value);
    expect(histogram.count).toBe(4);
    expect(histogram.min).toBe(17);
    expect(histogram.max).toBe(5_000_000_000_001);
    expect(histogram.mean).toBe((1_000_003 + 17 + 5_000_000_000_001 + 250) / 4);
  });

  it('never answers a quantile outside the recorded range', () => {
    const histogram = new Histogram();
    histogram.record(1_000_001);
    expect(histogram.quantile(0)).toBe(1_000_001);
    expect(histogram.quantile(0.5)).toBe(1_000_001);
    expect(histogram.quantile(1)).toBe(1_000_001);
  });

  it('puts values beyond its range in the last bucket without losing the maximum', () => {
    const histogram = new Histogram();
    histogram.record(2 ** 50);
    histogram.record(2 ** 45);
    expect(histogram.max).toBe(2 ** 50);
    expect(histogram.quantile(1)).toBe(2 ** 50);
    expect(histogram.quantile(0.5)).toBeGreaterThanOrEqual(2 ** 44);
  });

  it('rounds fractions and counts negative values as zero', () => {
    const histogram = new Histogram();
    histogram.record(2.6);
    histogram.record(-5);
    expect([histogram.min, histogram.max]).toEqual([0, 3]);
  });

  it('merges another histogram as if its values had been recorded here', () => {
    const values = spread(2_000);
    const whole = new Histogram();
    const left = new Histogram();
    const right = new Histogram();
    values.forEach((value, i) => {
      whole.record(value);
      (i % 2 === 0 ? left : right).record(value);
    });
    left.merge(right);
    for (const q of [0.5, 0.9, 0.99]) expect(left.quantile(q)).toBe(whole.quantile(q));
    expect([left.count, left.min, left.max, left.mean]).toEqual([
      whole.count,
      whole.min,
      whole.max,
      whole.mean,
    ]);
  });

  it('rejects a quantile outside [0, 1]', () => {
    expect(() => new Histogram().quantile(99)).toThrow(RangeError);
    expect(() => new Histogram().quantile(Number.NaN)).toThrow(RangeError);
  });
});
