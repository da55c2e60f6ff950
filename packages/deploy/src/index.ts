export * from './checks';
export * from './objects';
export * from './render';
export * from './schema';
export * from './services';
