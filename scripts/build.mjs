// Bundles src/init.ts and every runtime dependency into dist/baton.js, writes the entry
// point dist/init.js (src/start.ts) that loads it through V8's code cache, builds the listen
// shim dist/listen-shim.cjs, and copies the koffi native modules for Linux (glibc and musl,
// x64 and arm64) beside it.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';

const TRIPLETS = ['linux_x64', 'linux_arm64', 'musl_x64', 'musl_arm64'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/koffi', { recursive: true });
for (const triplet of TRIPLETS) {
  cpSync(`node_modules/koffi/build/koffi/${triplet}`, `dist/koffi/${triplet}`, { recursive: true });
}
// The repository is an ES module package; this marks the bundle beside it as CommonJS.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');

// koffi requires its binary as "./build/koffi/<triplet>/koffi.node"; point that at
// dist/koffi/<triplet>/ and leave the require to run time, relative to init.js.
const koffiNative = {
  name: 'koffi-native',
  setup(b) {
    b.onResolve({ filter: /koffi\.node$/ }, (args) => {
      const triplet = args.path.split('/').at(-2);
      return { path: `./koffi/${triplet}/koffi.node`, external: true };
    });
  },
};

// koffi's index.js loads its build tooling first (https, crypto, zlib: ~4.5 ms of start-up)
// to find which binary fits; the bundle ships only Linux x64/arm64 ones, so it picks the
// glibc binary for the running arch, or the musl one when glibc's cannot load, as koffi's
// own fallback does. The native module is koffi's whole API; its JS adds deprecated aliases.
const koffiSlim = {
  name: 'koffi-slim',
  setup(b) {
    b.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: 'koffi-slim' }));
    b.onLoad({ filter: /.*/, namespace: 'koffi-slim' }, () => ({
      loader: 'js',
      resolveDir: '.',
      contents: `
        const load = {
          x64: [() => require('./build/koffi/linux_x64/koffi.node'), () => require('./build/koffi/musl_x64/koffi.node')],
          arm64: [() => require('./build/koffi/linux_arm64/koffi.node'), () => require('./build/koffi/musl_arm64/koffi.node')],
        }[process.arch];
        if (load === undefined) throw new Error('baton ships koffi for Linux x64 and arm64 only, not ' + process.arch);
        try {
          module.exports = load[0]();
        } catch (glibcError) {
          try {
            module.exports = load[1]();
          } catch {
            throw glibcError;
          }
        }
      `,
    }));
  },
};

// Packages that single-command mode never runs (execa spawns the services of supervisor
// mode; pino loads only once something is logged) are bundled into files of their own,
// dist/baton-execa.js and dist/baton-pino.js, that the bundle requires on first use: at
// start-up Node reads (and V8 takes from the cache) only baton.js, 150 KB instead of 335.
const DEFERRED = ['execa', 'pino'];

async function bundleDeferred(name) {
  const result = await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: '.', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    outfile: `dist/baton-${name}.js`,
    metafile: true,
  });
  return Object.keys(result.metafile.inputs);
}

const deferredInputs = (await Promise.all(DEFERRED.map(bundleDeferred))).flat();

// `require('pino')` in the bundle becomes `require('./baton-pino.js')`, left to run time:
// start.ts hands the bundle init.js's require, which resolves it beside init.js.
const deferred = {
  name: 'deferred',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${DEFERRED.join('|')})$`) }, (args) => ({ path: `./baton-${args.path}.js`, external: true }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  // CommonJS, not an ES module: Node compiles and links it ~8 ms faster at start-up, and
  // built-in modules load only when the code that needs them first runs.
  format: 'cjs',
  target: 'node20',
  minify: true,
  keepNames: false,
  legalComments: 'none',
};

// The init: everything but the entry point.
const bundled = await build({
  ...common,
  metafile: true,
  entryPoints: ['src/init.ts'],
  outfile: 'dist/baton.js',
  // The bundle is CommonJS: import.meta.url exists only where the sources run as ES modules
  // (the tests, under tsx), the only place log/logger.ts reads it.
  define: { BATON_VERSION: JSON.stringify(pkg.version), 'import.meta.url': 'undefined' },
  plugins: [koffiSlim, koffiNative, deferred],
});

// init.js reads the bundle as latin1, the same string as UTF-8 only while every byte is
// ASCII (esbuild escapes the rest by default; this keeps it so).
const nonAscii = readFileSync('dist/baton.js').findIndex((byte) => byte > 0x7f);
if (nonAscii !== -1) throw new Error(`dist/baton.js has a byte that is not ASCII at offset ${nonAscii}: init.js reads it as latin1`);

// The listen shim (BATON_<NAME>_LISTEN_SHIM), preloaded into instances with NODE_OPTIONS=--require;
// found beside init.js at run time (src/supervise/listen-shim.ts). .cjs: CommonJS wherever it is copied.
await build({
  ...common,
  entryPoints: ['src/shim/listen-shim.ts'],
  outfile: 'dist/listen-shim.cjs',
});

// The entry point, `node init.js`: a few lines that load baton.js through V8's code cache,
// whose file name holds the bundle's hash (a cache is only ever read by the build that made it).
await build({
  ...common,
  entryPoints: ['src/start.ts'],
  outfile: 'dist/init.js',
  define: { BATON_BUNDLE_HASH: JSON.stringify(createHash('sha256').update(readFileSync('dist/baton.js')).digest('hex').slice(0, 16)) },
  // The package's bin (node_modules/.bin/baton-init) runs this file itself.
  banner: { js: '#!/usr/bin/env node' },
});

// The packages bundled into baton.js (and koffi, whose binaries ship beside it) keep their
// copyright and license notices: the minified bundle drops their comments, so the notices go
// to a file of their own in dist/.
writeFileSync('dist/THIRD-PARTY-NOTICES.txt', thirdPartyNotices([...Object.keys(bundled.metafile.inputs), ...deferredInputs]));

function thirdPartyNotices(inputs) {
  const packages = new Set(['koffi']);
  for (const input of inputs) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.add(match[1]);
  }
  const sections = [...packages].sort().map((name) => {
    const dir = `node_modules/${name}`;
    const meta = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    const file = readdirSync(dir).find((entry) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(entry));
    const text = file === undefined ? `(no license file; package.json says: ${meta.license})` : readFileSync(`${dir}/${file}`, 'utf8').trim();
    return `${meta.name} ${meta.version} (${meta.license})\n\n${text}\n`;
  });
  return `baton-init bundles the following packages into dist/baton.js, dist/baton-execa.js and dist/baton-pino.js (koffi's native modules ship in dist/koffi/).\n\n${sections.join('\n' + '-'.repeat(72) + '\n\n')}`;
}
