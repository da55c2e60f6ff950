import { runServer } from '@repo/server-kit';
import { readConfig } from './config';
import { createStreamServer } from './server';

void runServer({
  name: 'stream',
  readConfig,
  create: ({ greeterAddr }, logger) => createStreamServer({ logger, greeterAddr }),
});
