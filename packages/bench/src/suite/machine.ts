import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { h2loadPath } from '../h2load';

/** What the figures were measured on, for the report's first lines. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  grpcJs: string;
  h2load: string | null;
  date: string;
}

export function describeMachine(): Machine {
  const h2load = h2loadPath();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    grpcJs: versionOf('@grpc/grpc-js'),
    h2load: h2load ? firstLine(execFileSync(h2load, ['--version']).toString()) : null,
    date: new Date().toISOString().slice(0, 10),
  };
}

function versionOf(pkg: string): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}
