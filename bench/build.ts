// `herald build` on a generated site: clean build, no-op rebuild, rebuild after adding one post. Every measurement
// runs in a fresh child process, so wall time includes Node/tsx startup and peak RSS is per scenario.
// Usage: npm run bench:build [-- --posts 1000 --repeat 3 --profile --no-docutils --no-in-process --keep --nikola PATH]
// With --nikola (a `nikola` command, Nikola 8.2), Nikola builds the same posts in the same run, and the verdicts are
// the issue's real target, ≥ 10× faster than Nikola; without it they compare with the issue's figures for this machine.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fixtureShapedBody, fixtureShapedPost, writeGeneratedSite } from './generate.js'
import {
  buildDist,
  expectExit,
  formatSpread,
  type Measured,
  pad,
  printProfile,
  ROOT,
  runMeasured,
  spread,
  summariseProfileDir,
} from './support/measure.js'
import { type NikolaRound, nikolaRound } from './support/nikola.js'

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'no-docutils': { type: 'boolean', default: false },
    'no-in-process': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    nikola: { type: 'string' },
  },
})
const postCount = Number(values.posts)
const repeat = Math.max(1, Number(values.repeat))
const inProcess = !values['no-in-process']

type Scenario = 'clean' | 'noop' | 'plusOne'
const SCENARIOS: Array<{ id: Scenario; label: string; targetMs: number }> = [
  { id: 'clean', label: 'clean build', targetMs: 2300 },
  { id: 'noop', label: 'no-op rebuild', targetMs: 300 },
  { id: 'plusOne', label: 'rebuild +1 post', targetMs: 350 },
]

interface InProcessReport {
  importMs: number
  configMs: number
  postsMs: number
  feedsMs: number
  workMs: number
  live: number
  written: number
  unchanged: number
  failed: number
}

buildDist()
const siteDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-build-'))
await writeGeneratedSite(siteDir, postCount)
let nextPost = postCount
console.log(`site: ${siteDir} (${postCount} generated fixture-shaped posts, ~14 KB each)`)
console.log(
  `machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}; each figure: median (min–max) of ${repeat} run(s)`,
)

const cli: Record<Scenario, Measured[]> = { clean: [], noop: [], plusOne: [] }
const inside: Record<Scenario, Array<{ wallMs: number; maxRssMb: number; report: InProcessReport }>> = { clean: [], noop: [], plusOne: [] }
const nikola: NikolaRound[] = []

const cleanState = async () => {
  await rm(path.join(siteDir, '.herald'), { recursive: true, force: true })
  await rm(path.join(siteDir, 'public'), { recursive: true, force: true })
}
const postFile = (dir: string, index: number) => path.join(dir, `post-${String(index).padStart(5, '0')}.rst`)
const addPost = async () => {
  await writeFile(postFile(path.join(siteDir, 'posts'), nextPost), fixtureShapedPost(nextPost))
  nextPost++
}
// What ships: bin/herald.js running the compiled dist/ (built below), no tsx.
const herald = (cpuProfileDir?: string) =>
  runMeasured(['bin/herald.js', 'build', '--site', siteDir], {
    tsx: false,
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
    env: { NO_COLOR: '1' },
  }).then((result) => expectExit(result, 'herald build'))
const direct = async () => {
  const result = expectExit(await runMeasured([path.join(ROOT, 'bench', 'support', 'build-in-process.ts'), siteDir]), 'build-in-process')
  return {
    wallMs: result.wallMs,
    maxRssMb: result.maxRssMb,
    report: JSON.parse(result.stdout.trim().split('\n').at(-1)!) as InProcessReport,
  }
}

// Check that the generated site builds completely before measuring anything.
await cleanState()
{
  const report = (await direct()).report
  if (report.live !== postCount || report.failed > 0)
    throw new Error(`expected ${postCount} live posts and no failed feed, got ${JSON.stringify(report)}`)
  console.log(`feeds per build: ${report.written} files (site, tags, category × rss/atom/json)\n`)
}

for (let run = 0; run < repeat; run++) {
  if (values.nikola) {
    // The posts Herald is about to build, and the same next post.
    const next = nextPost
    nikola.push(
      nikolaRound(values.nikola, path.join(siteDir, 'posts'), `${siteDir}-nikola`, (dir) =>
        writeFileSync(postFile(dir, next), fixtureShapedPost(next)),
      ),
    )
  }
  await cleanState()
  cli.clean.push(await herald())
  cli.noop.push(await herald())
  await addPost()
  cli.plusOne.push(await herald())
  if (inProcess) {
    await cleanState()
    inside.clean.push(await direct())
    inside.noop.push(await direct())
    await addPost()
    inside.plusOne.push(await direct())
  }
}

// Baselines measured in the same run.
const baseline = {
  node: await times(() => runMeasured(['-e', '0'], { tsx: false })),
  tsx: await times(() => runMeasured(['-e', '0'])),
  cliHelp: await times(async () => expectExit(await runMeasured(['bin/herald.js', '--help'], { tsx: false }), 'herald --help')),
}

console.log('herald build --site DIR (real CLI, fresh process each; wall time from spawn to exit)')
if (nikola.length > 0) {
  // The target is the ratio; the ms target is Nikola's median in this run over 10.
  console.log(
    `  ${pad('scenario', 18)}${pad('wall ms', 22)}${pad('peak RSS MB', 16)}${pad('Nikola ms (same run)', 24)}` +
      `${pad('Nikola ÷ Herald', 28)}${pad('target', 10)}verdict (ratio of medians)`,
  )
} else {
  console.log(`  ${pad('scenario', 18)}${pad('wall ms', 22)}${pad('peak RSS MB', 22)}${pad('target', 10)}verdict (median)`)
}
for (const scenario of SCENARIOS) {
  const wall = cli[scenario.id].map((result) => result.wallMs)
  const rss = formatSpread(cli[scenario.id].map((result) => result.maxRssMb))
  if (nikola.length > 0) {
    const theirs = nikola.map((round) => round[scenario.id])
    const ratio = spread(theirs).median / spread(wall).median
    const pairs = theirs.map((ms, index) => ms / wall[index]!)
    console.log(
      `  ${pad(scenario.label, 18)}${pad(formatSpread(wall), 22)}${pad(rss, 16)}${pad(formatSpread(theirs), 24)}` +
        `${pad(`${ratio.toFixed(1)}× (runs ${formatSpread(pairs, 1).replace(/^[^(]*/, '')})`, 28)}${pad('≥ 10×', 10)}` +
        `${ratio >= 10 ? 'met' : 'NOT met'}`,
    )
    continue
  }
  const met = spread(wall).median <= scenario.targetMs
  console.log(
    `  ${pad(scenario.label, 18)}${pad(formatSpread(wall), 22)}` +
      `${pad(rss, 22)}${pad(`≤ ${scenario.targetMs}`, 10)}` +
      `${met ? 'met' : 'NOT met'}${spread(wall).min <= scenario.targetMs && !met ? ' (best run met it)' : ''}`,
  )
}
if (inProcess) {
  console.log('\nsame scenarios, in process (bench/support/build-in-process.ts calls buildSite as the command does, under tsx)')
  console.log(
    `  ${pad('scenario', 18)}${pad('imports ms', 20)}${pad('posts ms', 20)}${pad('feeds ms', 20)}` +
      `${pad('work ms', 20)}${pad('wall ms', 20)}peak RSS MB`,
  )
  for (const scenario of SCENARIOS) {
    const runs = inside[scenario.id]
    const column = (pick: (report: InProcessReport) => number) => pad(formatSpread(runs.map((run) => pick(run.report))), 20)
    console.log(
      `  ${pad(scenario.label, 18)}${column((r) => r.importMs)}${column((r) => r.postsMs)}${column((r) => r.feedsMs)}` +
        `${column((r) => r.workMs)}${pad(formatSpread(runs.map((run) => run.wallMs)), 20)}${formatSpread(runs.map((run) => run.maxRssMb))}`,
    )
  }
  const written = inside.plusOne.map((run) => run.report.written)
  console.log(
    `  (+1 post rewrote ${formatSpread(written)} feed files; no-op rewrote ${formatSpread(inside.noop.map((run) => run.report.written))})`,
  )
}

console.log('\nbaselines (same run)')
console.log(
  `  node -e 0:                   ${formatSpread(baseline.node.map((r) => r.wallMs))} ms, ` +
    `${formatSpread(baseline.node.map((r) => r.maxRssMb))} MB`,
)
console.log(
  `  node --import tsx -e 0:      ${formatSpread(baseline.tsx.map((r) => r.wallMs))} ms, ` +
    `${formatSpread(baseline.tsx.map((r) => r.maxRssMb))} MB`,
)
console.log(
  `  herald --help (CLI startup): ${formatSpread(baseline.cliHelp.map((r) => r.wallMs))} ms, ` +
    `${formatSpread(baseline.cliHelp.map((r) => r.maxRssMb))} MB`,
)
if (nikola.length === 0) {
  console.log('  Nikola (issue 3, not measured here; --nikola PATH measures it): clean 23,500 ms, no-op 3,000 ms, +1 post 3,600 ms')
}
if (!values['no-docutils']) {
  const docutils = docutilsRender(postCount)
  console.log(
    docutils === null
      ? '  docutils: not installed (python3 -c "import docutils" failed); skipped'
      : `  docutils publish_parts(html5) of the same ${postCount} bodies: ${docutils.totalMs.toFixed(0)} ms ` +
          `(${docutils.perPostMs.toFixed(1)} ms/post), rendering only`,
  )
}

if (values.profile) {
  console.log('\nCPU profiles (node --cpu-prof, real CLI)')
  for (const [label, prepare] of [
    ['clean build', cleanState],
    ['no-op rebuild', async () => {}],
  ] as const) {
    await prepare()
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-prof-'))
    const result = await herald(dir)
    printProfile(`${label} (wall ${result.wallMs.toFixed(0)} ms)`, summariseProfileDir(dir, 10))
    console.log(`   profile kept in ${dir}`)
  }
}

if (values.keep) console.log(`\nsite kept in ${siteDir}`)
else rmSync(siteDir, { recursive: true, force: true })

async function times(measure: () => Promise<Measured>, count = 3): Promise<Measured[]> {
  const results: Measured[] = []
  for (let index = 0; index < count; index++) results.push(await measure())
  return results
}

/** docutils' render time for the same bodies (what Nikola spends most of a clean build on), or null without docutils. */
function docutilsRender(count: number): { totalMs: number; perPostMs: number } | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-docutils-'))
  const input = path.join(dir, 'bodies.json')
  writeFileSync(input, JSON.stringify(Array.from({ length: count }, (_, index) => fixtureShapedBody(index))))
  const script = `
import json, sys, time
from docutils.core import publish_parts
bodies = json.load(open(sys.argv[1], encoding='utf-8'))
settings = {
    'report_level': 5, 'halt_level': 5, 'input_encoding': 'unicode',
    'doctitle_xform': False, 'initial_header_level': 2, 'embed_stylesheet': False,
}
start = time.perf_counter()
for body in bodies: publish_parts(body, writer_name='html5', settings_overrides=settings)
print((time.perf_counter() - start) * 1000)
`
  try {
    const totalMs = Number(execFileSync('python3', ['-c', script, input], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    return { totalMs, perPostMs: totalMs / count }
  } catch {
    return null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
