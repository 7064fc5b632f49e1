import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSETS_PATH = '/assets/';

interface Asset {
  file: string;
  type: string;
  /** Files of installed packages change only with an install; our own pages are revalidated. */
  cacheControl: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const VENDOR_CACHE = 'public, max-age=3600';
const OWN_CACHE = 'no-cache';

const require = createRequire(import.meta.url);
/** A file of an installed package, by its package.json (the files used here are not in its exports). */
const packageFile = (pkg: string, file: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);

/**
 * This module's static files: beside it when run from source (npm run dev, the
 * tests), and still in src/ when run from the build (tsc copies no .html/.js assets
 * into dist/src/infra/web), four levels up from there.
 */
function staticDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'static'), path.resolve(here, '../../../../src/infra/web/static')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0];
}

const own = (name: string, type: string): Asset => ({ file: path.join(staticDir(), name), type, cacheControl: OWN_CACHE });
const vendor = (pkg: string, file: string, type: string): Asset => ({
  file: packageFile(pkg, file),
  type,
  cacheControl: VENDOR_CACHE,
});

/**
 * Everything the IDE and /live load, served by this server from the npm packages
 * installed with it: no CDN, no build step. A fixed table: no path from a request
 * ever reaches the file system.
 */
export const ASSETS = new Map<string, () => Asset>([
  ['vendor/react.production.min.js', () => vendor('react', 'umd/react.production.min.js', JS)],
  ['vendor/react-dom.production.min.js', () => vendor('react-dom', 'umd/react-dom.production.min.js', JS)],
  ['vendor/graphiql.min.js', () => vendor('graphiql', 'graphiql.min.js', JS)],
  ['vendor/graphiql.min.css', () => vendor('graphiql', 'graphiql.min.css', CSS)],
  ['vendor/graphql-ws.min.js', () => vendor('graphql-ws', 'umd/graphql-ws.min.js', JS)],
  ['ide.js', () => own('ide.js', JS)],
  ['live.js', () => own('live.js', JS)],
  ['live.css', () => own('live.css', CSS)],
]);

export const PAGES = {
  ide: () => own('ide.html', HTML),
  live: () => own('live.html', HTML),
};

export interface LoadedAsset {
  body: Buffer;
  type: string;
  cacheControl: string;
}

/** Reads each file once, on first use, and keeps it in memory (about 1.7 MB in all). */
export class AssetCache {
  private readonly loaded = new Map<() => Asset, Promise<LoadedAsset>>();

  get(asset: () => Asset): Promise<LoadedAsset> {
    let entry = this.loaded.get(asset);
    if (!entry) {
      const { file, type, cacheControl } = asset();
      entry = readFile(file).then((body) => ({ body, type, cacheControl }));
      // A failed read is not remembered: the next request tries again.
      entry.catch(() => this.loaded.delete(asset));
      this.loaded.set(asset, entry);
    }
    return entry;
  }
}
