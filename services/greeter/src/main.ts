import { runServer } from '@repo/server-kit';
import { readConfig } from './config';
import { createGreeterServer } from './server';

void runServer({
  name: 'greeter',
  readConfig,
  create: (config, logger) => createGreeterServer({ logger, limits: config, authToken: config.authToken }),
});
