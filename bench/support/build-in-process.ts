// Child of bench/build.ts: does what `herald build --site DIR` does (same functions, same order) and prints, as one
// JSON line, how long the imports and each step took inside the process (Node/tsx startup excluded).
// Usage: node --import tsx bench/support/build-in-process.ts <site dir>
const started = performance.now()
const { openSite } = await import('../../src/cli/runtime.js')
const { loadAndReport } = await import('../../src/cli/site-posts.js')
const { buildSiteFeeds } = await import('../../src/cli/site-feeds.js')
const imported = performance.now()

const siteDir = process.argv[2]
if (!siteDir) throw new Error('usage: build-in-process.ts <site dir>')
const context = openSite({ site: siteDir, quiet: true }, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), interactive: false })
const now = new Date()
const loadStarted = performance.now()
const { collection, counts } = await loadAndReport(context, now)
const loaded = performance.now()
const { feeds } = await buildSiteFeeds(context, collection.posts, now)
const built = performance.now()

process.stdout.write(
  `${JSON.stringify({
    importMs: imported - started,
    configMs: loadStarted - imported,
    postsMs: loaded - loadStarted,
    feedsMs: built - loaded,
    workMs: built - imported,
    live: counts.live,
    skipped: counts.skipped,
    written: feeds.written.length,
    unchanged: feeds.unchanged.length,
    failed: feeds.failed.length,
  })}\n`,
)
