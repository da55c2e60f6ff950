import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Largest set of files served, in bytes: the page is a few files of a few KiB. */
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;

export interface StaticFile {
  body: Buffer;
  type: string;
}

/**
 * The files of `dir` (the web page's build), read once at start-up, by URL path (`/` is
 * `index.html`). Only what was there at start-up is served: no path from a request ever reaches
 * the file system.
 */
export function loadStaticFiles(dir: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let total = 0;
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(path);
      total += body.length;
      if (total > MAX_TOTAL_BYTES)
        throw new Error(`${dir} holds more than ${MAX_TOTAL_BYTES} bytes of files`);
      const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
      files.set(urlPath, { body, type });
      if (name === 'index.html') files.set(urlPath.slice(0, -'index.html'.length), { body, type });
    }
  };
  walk(dir);
  return files;
}
