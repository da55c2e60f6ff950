import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

/** What the figures were measured on, for the report's first lines. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  grpcJs: string;
  /** h2load's version line, or null when it is not installed. */
  h2load: string | null;
  date: string;
}

export function describeMachine(h2load: string | null): Machine {
  const grpcJs = JSON.parse(readFileSync(require.resolve('@grpc/grpc-js/package.json'), 'utf8')) as {
    version: string;
  };
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    grpcJs: grpcJs.version,
    h2load,
    date: new Date().toISOString().slice(0, 10),
  };
}
