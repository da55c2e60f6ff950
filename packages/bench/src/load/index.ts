export { Histogram } from './histogram';
export {
  type ProcessStats,
  type ProcessWindow,
  readProcessStats,
  startProcessWindow,
} from './process-stats';
export { formatResult } from './report';
export { runLoad } from './run-load';
export { LOAD_DEFAULTS } from './settings';
export {
  type LatencySummary,
  LOAD_KINDS,
  type LoadKind,
  type LoadOptions,
  type LoadProgress,
  type LoadResult,
} from './types';
