/** A service the stack runs: where its entry point is, and how to configure it. */
export interface StackService {
  name: string;
  /** The built entry point (`dist/main.js`) of the service package. */
  entry: string;
  /** The port it listens on unless told otherwise (0: any free port). */
  defaultPort: number;
  /** The port of its Prometheus `/metrics` unless told otherwise (0: none). */
  defaultMetricsPort: number;
  /** Environment for the process, given the addresses of the services started before it. */
  env(addresses: ReadonlyMap<string, string>): Record<string, string>;
}

/**
 * The services of the stack, in start-up order: each one starts once those before it are
 * SERVING. A new service is added here (and its package to this package's dependencies).
 */
export const SERVICES: readonly StackService[] = [
  {
    name: 'greeter',
    entry: require.resolve('@repo/greeter/main'),
    defaultPort: 50051,
    defaultMetricsPort: 9464,
    env: () => ({}),
  },
  {
    name: 'stream',
    entry: require.resolve('@repo/stream/main'),
    defaultPort: 50052,
    defaultMetricsPort: 9465,
    env: (addresses) => ({ GREETER_ADDR: addresses.get('greeter') ?? '' }),
  },
  {
    name: 'gateway',
    entry: require.resolve('@repo/gateway/main'),
    defaultPort: 8080,
    defaultMetricsPort: 9466,
    env: (addresses) => ({
      GREETER_ADDR: addresses.get('greeter') ?? '',
      STREAM_ADDR: addresses.get('stream') ?? '',
    }),
  },
  // turbo gen service: services above this line (docs/adding-a-service.md)
];
