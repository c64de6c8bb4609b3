import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../shared/config/project-root';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * The page's scripts and styles, all from this machine: uPlot from node_modules (no CDN, no internet) and
 * the dashboard's own small files from apps/dashboard/public (plain JS and CSS, no build step). Read once.
 */
const FILES: Record<string, { file: () => string; contentType: string }> = {
  '/assets/uplot.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
  '/assets/uplot.css': { file: () => path.join(path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js')), 'uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
  '/assets/dashboard.js': { file: () => path.join(projectRoot(), 'apps', 'dashboard', 'public', 'dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: () => path.join(projectRoot(), 'apps', 'dashboard', 'public', 'dashboard.css'), contentType: 'text/css; charset=utf-8' },
};

export class StaticAssets {
  private readonly cache = new Map<string, Asset>();

  /** Loads every asset now: a missing file is a startup error, not a broken page later. */
  preload(): void {
    for (const url of Object.keys(FILES)) this.get(url);
  }

  get(url: string): Asset | undefined {
    const cached = this.cache.get(url);
    if (cached) return cached;
    const entry = FILES[url];
    if (!entry) return undefined;
    const body = fs.readFileSync(entry.file());
    const asset = { body, contentType: entry.contentType, etag: `"${body.length.toString(16)}-${hash(body)}"` };
    this.cache.set(url, asset);
    return asset;
  }
}

function hash(body: Buffer): string {
  let h = 2166136261;
  for (const byte of body) h = Math.imul(h ^ byte, 16777619);
  return (h >>> 0).toString(16);
}
