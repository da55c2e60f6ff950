/**
 * Loaded into a service process under test with `node --require` (see spawnService): answers
 * the test's `stats` message over the IPC channel with what only the process itself can see
 * (its active handles and timers, its heap after a full collection). The channel is unref'd, so
 * it never keeps the process alive; the service's own code is not changed.
 */
import type { ProcessStats } from './proc';

const send = process.send?.bind(process);
if (send) {
  process.on('message', (message: unknown) => {
    if ((message as { type?: string } | null)?.type !== 'stats') return;
    globalThis.gc?.();
    const resources: Record<string, number> = {};
    for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1;
    const stats: Omit<ProcessStats, 'fds'> = {
      rss: process.memoryUsage.rss(),
      heapUsed: process.memoryUsage().heapUsed,
      resources,
    };
    send({ type: 'stats', stats });
  });
  process.channel?.unref();
}
