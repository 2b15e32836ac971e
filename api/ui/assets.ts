/**
 * The dashboard's built assets (scripts/ui-build.mjs bundles api/ui/client/ and its CSS with
 * esbuild into dist/ui/). Only a fixed list of files is served: nothing from a request reaches the
 * file system. Found next to the code whether it runs from source (repo/api/ui → repo/dist/ui) or
 * compiled (dist/api/ui → dist/ui).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The built files and their content types; the build writes exactly these. */
export const UI_ASSETS: Readonly<Record<string, string>> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/** Where the build writes the assets, relative to the repository or to dist/. */
export function defaultAssetsDir(): string {
  const candidates = ['../../dist/ui/', '../../ui/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(`${dir}dashboard.js`)) ?? (candidates[0] as string);
}

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/** Loads assets once per process (they change only with a new build and a restart). */
export class UiAssets {
  private readonly cache = new Map<string, Promise<Asset>>();

  constructor(readonly dir: string) {}

  /** The asset, or undefined when `file` is not one of UI_ASSETS. Rejects when it was not built. */
  get(file: string): Promise<Asset> | undefined {
    const type = Object.hasOwn(UI_ASSETS, file) ? UI_ASSETS[file] : undefined;
    if (!type) return undefined;
    let asset = this.cache.get(file);
    if (!asset) {
      asset = readFile(`${this.dir}${file}`).then((content) => ({
        body: new Uint8Array(content) as Uint8Array<ArrayBuffer>,
        type,
        etag: `"${createHash('sha256').update(content).digest('base64url').slice(0, 16)}"`,
      }));
      this.cache.set(file, asset);
      asset.catch(() => this.cache.delete(file));
    }
    return asset;
  }
}
