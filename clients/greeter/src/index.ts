export { DEFAULT_TARGET, Greeter, type GreeterClientOptions, type Greeting } from './client';
