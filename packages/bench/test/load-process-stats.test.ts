import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcessStats, startProcessWindow } from '../src/load';

/** Uses `ms` milliseconds of CPU time (not of wall time: this machine may be shared). */
function spin(ms: number): void {
  const start = process.cpuUsage();
  const used = () => {
    const { user, system } = process.cpuUsage(start);
    return (user + system) / 1000;
  };
  while (used() < ms);
}

describe('readProcessStats', () => {
  it("reads this process's CPU time and memory from /proc", () => {
    const before = readProcessStats(process.pid);
    spin(200);
    const after = readProcessStats(process.pid);
    // /proc counts in 10 ms ticks.
    expect(after.cpuMs - before.cpuMs).toBeGreaterThanOrEqual(150);
    expect(after.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(after.peakRssBytes).toBeGreaterThanOrEqual(after.rssBytes);
  });

  it('reads a process whose command name holds spaces and parentheses', async () => {
    // The kernel names a process after the file it executed: a link named like this one.
    const dir = await mkdtemp(join(tmpdir(), 'load-stats-'));
    const program = join(dir, 'odd) (name');
    await symlink(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), program);
    const child = spawn(program, ['5']);
    try {
      await once(child, 'spawn');
      expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8')).toBe('odd) (name\n');
      const stats = readProcessStats(child.pid as number);
      expect(stats.cpuMs).toBeGreaterThanOrEqual(0);
      expect(stats.cpuMs).toBeLessThan(1_000);
      expect(stats.rssBytes).toBeGreaterThan(0);
    } finally {
      child.kill();
      await once(child, 'exit');
      await rm(dir, { recursive: true });
    }
  });

  it('throws for a process that does not exist', () => {
    expect(() => readProcessStats(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});

describe('startProcessWindow', () => {
  it('reports only the CPU time used within the window, as a share of one core', () => {
    spin(100);
    const end = startProcessWindow(process.pid);
    spin(300);
    const window = end();
    expect(window.cpuMs).toBeGreaterThanOrEqual(250);
    expect(window.cpuMs).toBeLessThan(1_000);
    expect(window.seconds).toBeGreaterThanOrEqual(0.25);
    expect(window.cores).toBeCloseTo(window.cpuMs / 1000 / window.seconds, 6);
  });
});
