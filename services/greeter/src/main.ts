import { runServer } from '@repo/server-kit';
import { readConfig } from './config';
import { createGreeterServer } from './server';

void runServer({ name: 'greeter', readConfig, create: (_config, logger) => createGreeterServer({ logger }) });
