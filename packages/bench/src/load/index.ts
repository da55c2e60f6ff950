export { formatResult } from './report';
export { runLoad, startProcessWindow } from './run-load';
export { LOAD_KINDS, type LoadKind, type LoadOptions, type LoadResult } from './types';
