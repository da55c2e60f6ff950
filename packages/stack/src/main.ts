import { envNameOf, formatLogLine } from '@repo/runner';
import { readInteger } from '@repo/server-kit';
import { runDemo } from './demo';
import { type RunningService, startServices, stopServices } from './processes';
import { SERVICES, type StackService } from './services';

const USAGE =
  'Usage: stack start | demo   (ports: GREETER_PORT, STREAM_PORT, GATEWAY_PORT, 0 picks a free one; GREETER_METRICS_PORT, ..., 0 turns /metrics off)';

/**
 * `start`: run every service, make one call of each kind, keep running until Ctrl-C, then stop
 * everything gracefully. `demo`: the same, then stop; exit code 0 only if every call worked and
 * every service exited 0.
 */
async function main(mode: string | undefined): Promise<number> {
  if (mode !== 'start' && mode !== 'demo') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const print = (line: string) => process.stdout.write(`${line}\n`);
  // In start mode the services' logs are the show; in demo mode they are kept for a failure.
  const logs: string[] = [];
  const onLine = (service: string, line: string) => {
    const formatted = formatLogLine(line, service);
    if (mode === 'start') print(formatted);
    else logs.push(formatted);
  };
  const portsFrom = (suffix: string, fallback: (service: StackService) => number) =>
    new Map(
      SERVICES.map((service) => [
        service.name,
        readInteger(process.env, `${envNameOf(service.name)}_${suffix}`, {
          fallback: fallback(service),
          min: 0,
          max: 65_535,
        }),
      ]),
    );
  const ports = portsFrom('PORT', (service) => service.defaultPort);
  const metricsPorts = portsFrom('METRICS_PORT', (service) => service.defaultMetricsPort);

  let running: RunningService[];
  try {
    running = await startServices(SERVICES, { ports, metricsPorts, onLine });
  } catch (err: unknown) {
    print(logs.join('\n'));
    process.stderr.write(`stack: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const address = (name: string) => running.find((service) => service.name === name)?.address ?? '';
  print(`\nServing: ${running.map((service) => `${service.name} at ${service.address}`).join(', ')}`);

  const ok = await runDemo(
    { greeter: address('greeter'), stream: address('stream'), gateway: address('gateway') || undefined },
    print,
  );

  if (mode === 'start') {
    print(`\nThe stack keeps running; try \`pnpm greeter hello Ada\` or \`pnpm stream all Ada Grace\`.`);
    print('Press Ctrl-C to stop.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    print('\nStopping...');
  }
  const codes = await stopServices(running);
  const clean = [...codes.values()].every((code) => code === 0);
  print(`\nStopped: ${[...codes].map(([name, code]) => `${name} exited ${code}`).join(', ')}`);
  if (!ok || !clean) {
    if (mode === 'demo') print(`\nService logs:\n${logs.join('\n')}`);
    print('\n✗ some steps failed');
    return 1;
  }
  if (mode === 'demo') print('\n✓ every call kind worked');
  return 0;
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`stack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
