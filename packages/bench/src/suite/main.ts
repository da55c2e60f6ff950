import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { run } from '@repo/runner';
import { h2loadVersion } from '../h2load';
import { hasTaskset } from '../taskset';
import { renderChart } from './chart';
import { chartPanels, renderReport, spliceReport } from './report';
import { errorsOf, runSuite } from './run-suite';
import { LOAD_CPU, scenarios } from './scenarios';

const ROOT = join(__dirname, '..', '..', '..', '..');
const HELP = `pnpm bench [--quick] [--out DIR]

Runs every scenario against our services and the baselines, alternating them, and writes
BENCHMARKS.md (its generated part) and packages/bench/results/ (chart and raw figures).
  --quick       a smoke run: one short round, written to a temporary directory; checks that
                every scenario works, asserts nothing about speed
  --out DIR     where to write BENCHMARKS.md and results/ (default: the repository)`;

const FULL = { durationMs: 4_000, warmupMs: 1_000, repeats: 3, startupRuns: 10 };
const QUICK = { durationMs: 500, warmupMs: 200, repeats: 1, startupRuns: 2 };

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // The load generators run in this process, and so do the reading of the servers' logs and the
  // OTLP sink: every thread of it goes to LOAD_CPU, away from the servers' (unpinned without
  // taskset, which the report then says).
  if (await hasTaskset()) {
    await run('taskset', ['--all-tasks', '--cpu-list', '--pid', String(LOAD_CPU), String(process.pid)]);
  }
  const out = values.out ?? (values.quick ? mkdtempSync(join(tmpdir(), 'bench-')) : ROOT);
  const command = values.quick ? 'pnpm bench --quick' : 'pnpm bench';

  const h2load = await h2loadVersion();
  const suite = await runSuite({
    ...(values.quick ? QUICK : FULL),
    scenarios: scenarios(h2load !== null),
    progress: (line) => process.stderr.write(`${line}\n`),
  });

  const results = join(out, 'packages', 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const chart = join(results, 'benchmarks.svg');
  writeFileSync(chart, await renderChart('gRPC in Node: ours and the alternatives', chartPanels(suite)));
  const machine = describeMachine(h2load);
  const raw = suite.results.map(({ scenario: { id, title, unit }, samples }) => ({
    id,
    title,
    unit,
    samples,
  }));
  writeFileSync(
    join(results, 'benchmarks.json'),
    `${JSON.stringify({ machine, ...suite, results: raw }, null, 2)}\n`,
  );
  const report = join(out, 'BENCHMARKS.md');
  const before = readOr(report, readOr(join(ROOT, 'BENCHMARKS.md'), '# Benchmarks\n'));
  writeFileSync(report, spliceReport(before, renderReport(suite, machine, command, relative(out, chart))));
  process.stderr.write(`wrote ${report} and ${results} in ${Math.round(suite.seconds)} s\n`);

  const failed = suite.results.filter((result) => Object.keys(errorsOf(result)).length > 0);
  for (const result of failed)
    process.stderr.write(`errors in ${result.scenario.id}: ${JSON.stringify(errorsOf(result))}\n`);
  return failed.length > 0 ? 1 : 0;
}

/** What the figures were measured on, for the report's first line and the JSON. */
function describeMachine(h2load: string | null): string {
  const grpcJs = require('@grpc/grpc-js/package.json') as { version: string };
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memoryGiB = Math.round(totalmem() / 1024 ** 3);
  return `${cpu}, ${cpus().length} cores, ${memoryGiB} GiB, Linux ${release()}, Node ${process.version}, @grpc/grpc-js ${grpcJs.version}, ${h2load ?? 'no h2load'}`;
}

const readOr = (path: string, fallback: string) => (existsSync(path) ? readFileSync(path, 'utf8') : fallback);

main().then(
  (code) => {
    if (process.exitCode === undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
