import { join } from 'node:path';
import { startService } from '../src';

const SERVER = join(__dirname, 'fixtures', 'server.js');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startService', () => {
  it('is ready once health answers SERVING, not at the serving line', async () => {
    const service = await startService(SERVER, { env: { FIXTURE_NOT_SERVING_MS: '400' } });
    try {
      expect(service.target).toBe(`127.0.0.1:${service.port}`);
      expect(service.readyAt - service.startedAt).toBeGreaterThanOrEqual(400);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it("is ready at the serving line when told 'announced', and runs a probe of the caller's", async () => {
    const announced = await startService(SERVER, {
      env: { FIXTURE_NOT_SERVING_MS: '60000' },
      readiness: 'announced',
    });
    await announced.stop();
    const probed: string[] = [];
    const service = await startService(SERVER, {
      readiness: async (target) => {
        probed.push(target);
        return probed.length === 3;
      },
    });
    await service.stop();
    expect(probed).toEqual([service.target, service.target, service.target]);
  });

  it('hands every line of stdout and stderr to onLine', async () => {
    const lines: string[] = [];
    const service = await startService(SERVER, {
      onLine: (line, stream) => lines.push(`${stream}: ${line}`),
    });
    await service.stop();
    expect(lines).toEqual(
      expect.arrayContaining([
        'stdout: not json',
        expect.stringMatching(/^stderr: fixture: pid \d+$/),
        expect.stringMatching(/^stdout: \{"msg":"serving"/),
      ]),
    );
    expect(service.stdoutBytes()).toBeGreaterThan(0);
  });

  it('rejects with the exit code and stderr of a process that exits before it is ready', async () => {
    await expect(startService(SERVER, { env: { FIXTURE_EXIT: '3' } })).rejects.toThrow(
      /exited \(3\) before it was ready; stdout: \(nothing\); stderr: fixture: told to exit/,
    );
  });

  it('rejects, and stops the process, when it is not ready in time', async () => {
    let pid = 0;
    const starting = startService(SERVER, {
      env: { FIXTURE_NOT_SERVING_MS: '60000' },
      startTimeoutMs: 1_000,
      onLine: (line) => {
        pid = Number(/^fixture: pid (\d+)$/.exec(line)?.[1] ?? pid);
      },
    });
    await expect(starting).rejects.toThrow(/not ready within \d+ ms/);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('kills a process that ignores SIGTERM once killAfterMs has passed', async () => {
    const service = await startService(SERVER, { env: { FIXTURE_IGNORE_SIGTERM: '1' } });
    const pid = service.child.pid as number;
    expect(await service.stop(300)).toBe('SIGKILL');
    expect(alive(pid)).toBe(false);
    expect(await service.stop()).toBe('SIGKILL');
  });

  it('wraps the command in a prefix that execs it', async () => {
    const service = await startService(SERVER, { prefix: ['/usr/bin/env'] });
    expect(await service.stop()).toBe(0);
  });
});
