export type { LoadKind, LoadOptions, LoadResult } from './options';
export { runLoad, startProcessWindow } from './run-load';
