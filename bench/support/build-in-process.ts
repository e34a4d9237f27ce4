// Child of bench/build.ts: does what `herald build --site DIR` does (same functions, same order) and prints, as one
// JSON line, how long the imports and each step took inside the process (Node/tsx startup excluded).
// Usage: node --import tsx bench/support/build-in-process.ts <site dir>
const started = performance.now()
const { openSite } = await import('../../src/cli/runtime.js')
const { buildSite } = await import('../../src/app/build.js')
const imported = performance.now()

const siteDir = process.argv[2]
if (!siteDir) throw new Error('usage: build-in-process.ts <site dir>')
const context = await openSite(
  { site: siteDir, quiet: true },
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), interactive: false },
)
const now = new Date()
const loadStarted = performance.now()
// The same function the command calls: the unchanged-site check, posts, feeds.
const { feeds, counts, postsMs, feedsMs } = await buildSite(context, context.config, now)
const built = performance.now()

process.stdout.write(
  `${JSON.stringify({
    importMs: imported - started,
    configMs: loadStarted - imported,
    postsMs,
    feedsMs,
    workMs: built - imported,
    live: counts.live,
    skipped: counts.skipped,
    written: feeds.written.length,
    unchanged: feeds.unchanged.length,
    failed: feeds.failed.length,
  })}\n`,
)
