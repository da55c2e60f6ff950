import { type ContenderName, measureStartup, median, type StartupResult, startServer } from '../servers';
import { LOAD_CPU, type Sample, type Scenario, SERVER_CPU, type Timing } from './scenarios';

export interface SuiteOptions extends Timing {
  scenarios: Scenario[];
  /** Rounds of every scenario; within a round the servers alternate, ours first in odd rounds. */
  repeats: number;
  /** Start-up runs per server (median reported). */
  startupRuns: number;
  /** One line per finished measurement, for the person watching. */
  progress: (line: string) => void;
}

export interface ScenarioResult {
  scenario: Scenario;
  /** Every sample of every server, in the order they were taken. */
  samples: Partial<Record<ContenderName, Sample[]>>;
}

export interface SuiteResult {
  results: ScenarioResult[];
  startup: StartupResult[];
  /** Where the servers and the load ran; null when taskset is missing and nothing was pinned. */
  pinned: { server: number; load: number } | null;
  seconds: number;
}

/**
 * Measures every server of every scenario `repeats` times, each on a freshly started process
 * pinned to SERVER_CPU, alternating ours and the baselines (A B C, then C B A, ...) so that the
 * drift of a shared machine falls on all of them alike; then their start-up times.
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = performance.now();
  const results: ScenarioResult[] = options.scenarios.map((scenario) => ({ scenario, samples: {} }));
  let pinned = true;
  for (let round = 0; round < options.repeats; round++) {
    for (const result of results) {
      for (const name of roundOrder(result.scenario, round)) {
        const server = await startServer(name, { cpu: SERVER_CPU });
        if (server.pinnedCpu === null) pinned = false;
        let sample: Sample;
        try {
          sample = await result.scenario.measure(server, options);
        } finally {
          await server.stop();
        }
        result.samples[name] = [...(result.samples[name] ?? []), sample];
        options.progress(progressLine(round, result.scenario, name, sample));
      }
    }
  }
  const startup: StartupResult[] = [];
  for (const name of ['ours-greeter', 'ours-stream', 'tutorial', 'ceiling'] as const) {
    const measured = await measureStartup(name, options.startupRuns, SERVER_CPU);
    startup.push(measured);
    options.progress(`start-up ${name}: median ${measured.medianMs.toFixed(0)} ms`);
  }
  return {
    results,
    startup,
    pinned: pinned ? { server: SERVER_CPU, load: LOAD_CPU } : null,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The servers of one round: A B C in even rounds, C B A in odd ones; a scenario measured
 * `samplesPerRound` times a round goes back and forth (A B C C B A, then C B A A B C).
 */
export function roundOrder(scenario: Scenario, round: number): ContenderName[] {
  const forward = scenario.servers;
  const backward = [...forward].reverse();
  const order: ContenderName[] = [];
  for (let pass = 0; pass < (scenario.samplesPerRound ?? 1); pass++) {
    order.push(...((round + pass) % 2 === 0 ? forward : backward));
  }
  return order;
}

/** A sample's figures, for the person watching: `round 1 unary-latency tutorial: rate 8123.4 p50 120.5 …`. */
function progressLine(round: number, scenario: Scenario, name: ContenderName, sample: Sample): string {
  const figures = Object.entries(sample).map(([key, value]) =>
    typeof value === 'number' ? `${key} ${value.toFixed(1)}` : `${key} ${JSON.stringify(value)}`,
  );
  return `round ${round + 1} ${scenario.id} ${name}: ${figures.join(' ')}`;
}

/** The median of one measure over a server's samples in a scenario. */
export function medianOf(
  result: ScenarioResult,
  name: ContenderName,
  measure: (sample: Sample) => number | undefined,
): number {
  const values = (result.samples[name] ?? []).map(measure).filter((v): v is number => v !== undefined);
  return median(values);
}

/** Errors over every sample of a result, by status name. */
export function errorsOf(result: ScenarioResult): Record<string, number> {
  const total: Record<string, number> = {};
  for (const sample of Object.values(result.samples).flat()) {
    for (const [code, count] of Object.entries(sample?.errors ?? {}))
      total[code] = (total[code] ?? 0) + count;
  }
  return total;
}
