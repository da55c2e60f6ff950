// First: the modules after it load from Node's compile cache.
import '@repo/server-kit/compile-cache';
import { runServer } from '@repo/server-kit';
import { readConfig } from './config';
import { createStreamServer } from './server';

void runServer({
  name: 'stream',
  readConfig,
  create: (config, logger, telemetry) =>
    createStreamServer({
      logger,
      greeterAddr: config.greeterAddr,
      limits: config,
      authToken: config.authToken,
      greeterToken: config.greeterToken,
      greeterTls: config.greeterTls,
      telemetry,
    }),
});
