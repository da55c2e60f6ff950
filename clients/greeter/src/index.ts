export {
  createGreeterClient,
  DEFAULT_TARGET,
  Greeter,
  type GreeterClientOptions,
  type Greeting,
} from './client';
