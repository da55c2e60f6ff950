export { runLoad, startProcessWindow } from './run-load';
export type { LoadKind, LoadOptions, LoadResult } from './types';
