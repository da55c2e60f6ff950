import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_NAME_LENGTH, NAME_PATTERN } from './names';

/** Where the stack lists its services, with their ports: the source of truth for what is taken. */
const STACK_SERVICES = 'packages/stack/src/services.ts';
const COMPOSE = 'docker-compose.yml';
/** Below this, ports need privileges; the services run as an unprivileged user. */
const MIN_PORT = 1024;

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const numbersAfter = (text: string, key: string) =>
  [...text.matchAll(new RegExp(`${key}:\\s*(\\d+)`, 'g'))].map((match) => Number(match[1]));

/** The gRPC and metrics ports of the services `pnpm start` runs. */
function stackPorts(root: string): { ports: number[]; metricsPorts: number[] } {
  const text = read(root, STACK_SERVICES);
  return { ports: numbersAfter(text, 'defaultPort'), metricsPorts: numbersAfter(text, 'defaultMetricsPort') };
}

/**
 * The host ports docker-compose.yml publishes, ranges included
 * (`127.0.0.1:${GREETER_HOST_PORTS:-50051-50053}:50051` takes 50051 to 50053).
 */
function composeHostPorts(root: string): number[] {
  const ports: number[] = [];
  const published = /127\.0\.0\.1:(?:\$\{\w+:-)?(\d+)(?:-(\d+))?\}?:\d+/g;
  for (const [, first, last] of read(root, COMPOSE).matchAll(published)) {
    for (let port = Number(first); port <= Number(last ?? first); port++) ports.push(port);
  }
  return ports;
}

/** Why `name` cannot be a new service's, or true. */
export function checkName(root: string, name: string): true | string {
  if (!NAME_PATTERN.test(name)) {
    return 'the name must be kebab-case: lowercase words of letters and digits, each starting with a letter, joined by "-" (e.g. orders, order-book)';
  }
  if (name.length > MAX_NAME_LENGTH) return `the name must be at most ${MAX_NAME_LENGTH} characters`;
  for (const folder of ['services', 'clients', 'packages']) {
    if (existsSync(join(root, folder, name))) return `${folder}/${name} exists: @repo/${name} is taken`;
  }
  const snake = name.replaceAll('-', '_');
  if (existsSync(join(root, 'protos', snake))) return `protos/${snake} exists: pick another name`;
  return true;
}

/** Why `value` cannot be the new service's gRPC port, or true. */
export function checkPort(root: string, value: unknown): true | string {
  const port = Number(value);
  if (!Number.isInteger(port) || port < MIN_PORT || port > 65_535) {
    return `the port must be an integer from ${MIN_PORT} to 65535, got "${String(value)}"`;
  }
  const { ports, metricsPorts } = stackPorts(root);
  if (ports.includes(port) || metricsPorts.includes(port)) {
    return `port ${port} is taken by a service of ${STACK_SERVICES}`;
  }
  if (composeHostPorts(root).includes(port)) return `port ${port} is published by ${COMPOSE}`;
  return true;
}

/** The port after the highest one the stack's services use, as the prompt's suggestion. */
export function suggestedPort(root: string): number {
  const { ports } = stackPorts(root);
  let port = Math.max(50_050, ...ports) + 1;
  while (checkPort(root, port) !== true) port++;
  return port;
}

/** The next metrics port after the stack's (9464, 9465, ...), other than `port`. */
export function nextMetricsPort(root: string, port: number): number {
  const { ports, metricsPorts } = stackPorts(root);
  let metricsPort = Math.max(9463, ...metricsPorts) + 1;
  while (metricsPort === port || ports.includes(metricsPort)) metricsPort++;
  return metricsPort;
}
