// Bundles the compiled JavaScript in dist/ with esbuild, in place (called by scripts/build.mjs after tsc): the entry
// points are replaced by their bundles and the code they share goes into dist/chunks/.
// Why: Node 20 loads ES modules one file at a time (resolve, read, link), and a `herald build` loaded ~150 of them
// across two threads; a few chunks load in a fraction of that time (docs/benchmarks.md, "Bundle"). Only Herald's own
// code and the packages listed in BUNDLED go in; every other package stays where npm put it and loads as usual.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Packages on the path of `herald build` made of many files, that bundle cleanly (no native code, no files read beside
 * themselves) and share no objects with a package left outside (a second copy of luxon, say, would break cron-parser's
 * `instanceof` checks).
 */
const BUNDLED = [
  'commander',
  'deepmerge-ts',
  'feed',
  'html-to-text',
  'picomatch',
  'pino',
  'rst-compiler',
  'saxes',
  'tinyglobby',
  'unidecode',
  'write-file-atomic',
  'xml-js',
  'markdown-it',
]
/** Never bundled, even as a bundled package's dependency: shiki's grammars are hundreds of lazily loaded modules. */
const EXTERNAL = ['shiki', '@shikijs']
/** The entry points: the command line, and the modules worker threads start. */
const ENTRIES = ['worker.js', 'src/feeds/render-thread.js', 'src/posts/render-worker.js']

const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')

/**
 * @param {string} dist the tsc output folder
 * @param {typeof import('esbuild')} esbuild
 */
export async function bundle(dist, esbuild) {
  const ownCode = (file) => file.startsWith(dist + path.sep)
  const result = await esbuild.build({
    entryPoints: ENTRIES.map((entry) => path.join(dist, entry)),
    outbase: dist,
    outdir: dist,
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
    banner: { js: "import { createRequire as __heraldRequire } from 'node:module'; const require = __heraldRequire(import.meta.url);" },
    plugins: [
      {
        name: 'herald',
        setup(build) {
          // Herald's own code imports a package: bundled only when listed. Inside a bundled package, its own
          // dependencies go in with it.
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path.startsWith('node:')) return undefined
            const name = packageName(args.path)
            if (EXTERNAL.some((prefix) => name === prefix || name.startsWith(`${prefix}/`))) return { path: args.path, external: true }
            if (!ownCode(args.importer)) return undefined
            return BUNDLED.includes(name) ? undefined : { path: args.path, external: true }
          })
          // A module's own location, as if it had not been bundled: Lua scripts, templates and thread entry
          // points are found beside the compiled files. __heraldHere is defined per output file below.
          build.onLoad({ filter: /\.(js|mjs|cjs)$/ }, (args) => {
            let contents = readFileSync(args.path, 'utf8')
            const here = JSON.stringify(path.relative(dist, args.path).split(path.sep).join('/'))
            if (contents.includes('import.meta.url')) contents = contents.replaceAll('import.meta.url', `__heraldHere(${here})`)
            if (!ownCode(args.path) && /\b__(dirname|filename)\b/.test(contents)) {
              contents = `var __filename = __heraldPath(${here}), __dirname = __heraldPath(${here}, true);\n${contents}`
            }
            return { contents, loader: 'js', resolveDir: path.dirname(args.path) }
          })
        },
      },
    ],
  })
  // Each output file learns where dist/ is from its own location.
  for (const output of Object.keys(result.metafile.outputs)) {
    if (!output.endsWith('.js')) continue
    const file = path.resolve(output)
    const toDist = path.relative(path.dirname(file), dist).split(path.sep).join('/') || '.'
    const helpers = [
      "import { dirname as __heraldDirname } from 'node:path';",
      "import { fileURLToPath as __heraldFileURLToPath } from 'node:url';",
      `const __heraldDist = new URL(${JSON.stringify(`${toDist}/`)}, import.meta.url);`,
      'const __heraldHere = (file) => new URL(file, __heraldDist).href;',
      'const __heraldPath = (file, folder) => {',
      '  const found = __heraldFileURLToPath(new URL(file, __heraldDist));',
      '  return folder ? __heraldDirname(found) : found;',
      '};\n',
    ].join('\n')
    const code = readFileSync(file, 'utf8')
    writeFileSync(file, code.startsWith('#!') ? code.replace(/\n/, `\n${helpers}`) : helpers + code)
  }
  return result.metafile
}
