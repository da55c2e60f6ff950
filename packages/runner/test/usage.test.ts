import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageOf } from '../src';

describe('usageOf', () => {
  it("reads a process's CPU time and its memory, now and at its peak, from /proc", () => {
    const before = usageOf(process.pid);
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 200_000);
    const after = usageOf(process.pid);
    // /proc counts in 10 ms ticks.
    expect(after.cpuMs - before.cpuMs).toBeGreaterThanOrEqual(150);
    expect(after.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(after.peakRssBytes).toBeGreaterThanOrEqual(after.rssBytes);
  });

  it('reads a process whose command name holds spaces and parentheses', async () => {
    // The kernel names a process after the file it executed: a link named like this one.
    const dir = await mkdtemp(join(tmpdir(), 'usage-'));
    const program = join(dir, 'odd) (name');
    await symlink(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), program);
    const child = spawn(program, ['5']);
    try {
      await once(child, 'spawn');
      const usage = usageOf(child.pid as number);
      expect(usage.cpuMs).toBeLessThan(1_000);
      expect(usage.rssBytes).toBeGreaterThan(0);
    } finally {
      child.kill();
      await once(child, 'exit');
      await rm(dir, { recursive: true });
    }
  });

  it('throws for a process that does not exist', () => {
    expect(() => usageOf(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});
