import { runServer, serverOptionsOf } from '@repo/server-kit';
import { readConfig } from './config';
import { createGreeterServer } from './server';

void runServer({
  name: 'greeter',
  readConfig,
  create: (config, logger) =>
    createGreeterServer({ logger, serverOptions: serverOptionsOf(config), authToken: config.authToken }),
});
