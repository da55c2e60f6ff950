// First: the modules after it load from Node's compile cache.
import '@repo/server-kit/compile-cache';
import { runServer } from '@repo/server-kit';
import { readConfig } from './config';
import { createGreeterServer } from './server';

void runServer({
  name: 'greeter',
  readConfig,
  create: (config, logger, telemetry) =>
    createGreeterServer({ logger, limits: config, authToken: config.authToken, telemetry }),
});
