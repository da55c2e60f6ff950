// First: the modules after it load from Node's compile cache.
import '@repo/server-kit/compile-cache';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runServer } from '@repo/server-kit';
import { createBackends } from './backends';
import { readConfig } from './config';
import { loadRegistry } from './registry';
import { createGatewayServer } from './server';
import { loadStaticFiles } from './static-files';

/** The web page's build (clients/web), when it is installed and built. */
function webPageDir(): string | undefined {
  try {
    const dir = join(dirname(require.resolve('@repo/web/package.json')), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

void runServer({
  name: 'gateway',
  readConfig,
  create: (config, logger, telemetry) => {
    const dir = webPageDir();
    return createGatewayServer({
      logger,
      registry: loadRegistry(),
      backends: createBackends(config, telemetry),
      limits: config,
      corsOrigins: config.corsOrigins,
      staticFiles: dir ? loadStaticFiles(dir) : undefined,
      authToken: config.authToken,
      telemetry,
    });
  },
});
