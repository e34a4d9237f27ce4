// `npm run build` (also run by `npm ci` through `prepare`): compiles the TypeScript sources into dist/ with tsc,
// copies the files the compiled code reads beside itself (the Lua scripts), and bundles the entry points with esbuild
// (scripts/bundle.mjs). Run `herald` from dist: bin/herald.js.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
if (!existsSync(tsc)) {
  // `npm ci --omit=dev` has no TypeScript: bin/herald.js then runs the sources through tsx (slower to start).
  console.log('herald: TypeScript is not installed, so nothing was compiled; `herald` runs its sources through tsx')
  process.exit(0)
}
rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
cpSync(path.join(root, 'src'), path.join(dist, 'src'), {
  recursive: true,
  filter: (source) => statSync(source).isDirectory() || source.endsWith('.lua'),
})
// Then the entry points are bundled in place (scripts/bundle.mjs); without esbuild, dist/ runs as tsc wrote it.
const esbuild = await import('esbuild').catch(() => null)
if (esbuild) await (await import('./bundle.mjs')).bundle(dist, esbuild)
else console.log('herald: esbuild is not installed, so dist/ is not bundled (it runs as tsc wrote it, slower to start)')
