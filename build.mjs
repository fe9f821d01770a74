// Bundles the browser client into dist/: app.js (+ app.css) and index.html.
// `--if-needed` skips the build when dist/ is newer than every source file it is built from.
// `--sourcemap` (or CHATROOM_SOURCEMAP=1) also writes source maps, which the server then serves
// beside the bundle; without it none are written and stale ones are removed, so the served bundle
// does not hand out the client's source. `--outdir DIR` builds elsewhere (tests).

import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const outdirArg = process.argv.indexOf('--outdir');
const outdir = outdirArg > 0 ? resolve(process.argv[outdirArg + 1]) : join(root, 'dist');
const sourcemap = process.argv.includes('--sourcemap') || process.env.CHATROOM_SOURCEMAP === '1';
const MAPS = ['app.js.map', 'app.css.map'];
const sourceDirs = ['client', 'shared'].map((dir) => join(root, dir));
const outputs = ['index.html', 'app.js', 'app.css'].map((file) => join(outdir, file));

async function newestMtime(dir) {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? await newestMtime(path) : (await stat(path)).mtimeMs;
    newest = Math.max(newest, time);
  }
  return newest;
}

async function exists(file) {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function isUpToDate() {
  // Built with the other source-map setting: not up to date.
  if ((await exists(join(outdir, 'app.js.map'))) !== sourcemap) return false;
  let oldestOutput = Infinity;
  for (const file of outputs) {
    try {
      oldestOutput = Math.min(oldestOutput, (await stat(file)).mtimeMs);
    } catch {
      return false;
    }
  }
  const sources = await Promise.all([...sourceDirs.map(newestMtime), stat(join(root, 'build.mjs')).then((s) => s.mtimeMs)]);
  return Math.max(...sources) < oldestOutput;
}

async function main() {
  if (process.argv.includes('--if-needed') && (await isUpToDate())) {
    console.log('build: dist/ is up to date');
    return;
  }
  const started = Date.now();
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(root, 'client/app/main.tsx') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // The UMD bundle carries its own dependencies, so no Node polyfills are needed.
    alias: { 'simple-peer': 'simple-peer/simplepeer.min.js' },
    define: {
      'process.env.NODE_ENV': '"production"',
      global: 'globalThis',
    },
    logLevel: 'silent',
    metafile: true,
  });
  for (const warning of result.warnings) console.warn(`build warning: ${warning.text}`);
  await copyFile(join(root, 'client/index.html'), join(outdir, 'index.html'));
  if (!sourcemap) await Promise.all(MAPS.map((file) => rm(join(outdir, file), { force: true })));
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .reduce((sum, [, info]) => sum + info.bytes, 0);
  console.log(`build: dist/ written (${(bytes / 1024).toFixed(0)} KiB${sourcemap ? ', with source maps' : ''}) in ${Date.now() - started} ms`);
}

main().catch((error) => {
  const messages = error?.errors?.length
    ? error.errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`).join('\n')
    : String(error?.stack ?? error);
  console.error(`build failed:\n${messages}`);
  process.exit(1);
});
