// Imported by a service's main.ts before anything else, so that every module after it comes from
// Node's compile cache (node:module, Node 22.1+): the code V8 compiled at an earlier start, read
// from disk instead of compiled again, ~10 % of a service's start-up here (BENCHMARKS.md). The
// directory is NODE_COMPILE_CACHE, else one under the OS's temporary directory; where it cannot
// be written (a read-only filesystem), nothing is cached and nothing fails. runServer writes the
// cache once the service serves, so that a process that is killed leaves it behind too.
import { enableCompileCache } from 'node:module';

enableCompileCache();
