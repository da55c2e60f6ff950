#!/usr/bin/env node
// Fails when pnpm-lock.yaml resolves a package below the version known to fix a security or
// robustness bug that this project relies on being fixed. Run by .ci/run.
import { readFileSync } from 'node:fs';

const FLOOR = {
  // GHSA-99f4: crash on a malformed compressed message; GHSA-f596: thrown error text leaked.
  '@grpc/grpc-js': '1.14.5',
  protobufjs: '7.5.8',
  // Decode recursion limit in the generated code.
  'ts-proto': '2.12.1',
};

const lockfile = readFileSync(new URL('../pnpm-lock.yaml', import.meta.url), 'utf8');
const packages = lockfile.slice(lockfile.indexOf('\npackages:\n'), lockfile.indexOf('\nsnapshots:\n'));

const compare = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split(/[.+-]/).slice(0, 3).map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
};

let failed = false;
for (const [name, floor] of Object.entries(FLOOR)) {
  const pattern = new RegExp(`^  '?${name.replace(/[/@.]/g, '\\$&')}@(\\d+\\.\\d+\\.\\d+[^':]*)'?:$`, 'gm');
  const versions = [...packages.matchAll(pattern)].map((match) => match[1]);
  if (versions.length === 0) {
    console.error(`${name}: not in pnpm-lock.yaml`);
    failed = true;
  }
  for (const version of versions) {
    const ok = compare(version, floor) >= 0;
    console.log(`${ok ? 'ok  ' : 'LOW '} ${name}@${version} (floor ${floor})`);
    failed ||= !ok;
  }
}
process.exit(failed ? 1 : 0);
