// Render time per post on generated fixture-shaped posts; docutils' time on the same bodies when installed.
// Usage: npm run bench:render [-- --posts 200] [--skip-size]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { glob } from 'tinyglobby'
import { formatOf } from '../src/posts/load.js'
import { splitMetadata } from '../src/posts/metadata.js'
import { createRstRenderer } from '../src/posts/rst.js'
import { readReferencedFiles } from '../src/posts/sources.js'
import { fixtureShapedBody } from './generate.js'

const { values } = parseArgs({ options: { posts: { type: 'string', default: '200' }, 'skip-size': { type: 'boolean', default: false } } })
const count = Number(values.posts)
const bodies = Array.from({ length: count }, (_, index) => fixtureShapedBody(index))
const renderer = createRstRenderer()

for (const body of bodies.slice(0, 20)) await renderer.render(body) // warm-up (JIT, lazy engine import)
const started = performance.now()
const cpuStarted = process.cpuUsage()
for (const body of bodies) await renderer.render(body)
const heraldMs = (performance.now() - started) / count
// CPU time of this process: what the rendering costs even when other work shares the machine's cores.
const cpu = process.cpuUsage(cpuStarted)
const heraldCpuMs = (cpu.user + cpu.system) / 1000 / count
const averageKb = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / count / 1024
console.log(`posts: ${count} generated, ${averageKb.toFixed(1)} KB each (fixture-shaped)`)
console.log(`herald (rst-compiler + adjustments): ${heraldMs.toFixed(2)} ms/post`)
// All threads of the process: the garbage collector works on helper threads, so this can exceed the wall time.
console.log(`herald CPU time: ${heraldCpuMs.toFixed(2)} ms/post`)

const docutils = docutilsMsPerPost(bodies)
if (docutils === null) console.log('docutils: not installed (python3 -c "import docutils" failed); skipped')
else
  console.log(
    `docutils (publish_parts html5, same bodies): ${docutils.toFixed(2)} ms/post  → herald is ${(docutils / heraldMs).toFixed(1)}× faster`,
  )
console.log(`target: ≤ 2.5 ms/post → ${heraldMs <= 2.5 ? 'met' : 'NOT met'} (an absolute figure: it depends on the machine)`)
// The 2.5 ms were set on a machine where docutils took ~10 ms per post; machines here differ twofold, so the same
// target is also judged against docutils measured in this run: a quarter of its time.
if (docutils !== null) {
  const share = heraldMs / docutils
  console.log(
    `same target against this run's baseline: ≤ 0.25 × docutils = ${(docutils * 0.25).toFixed(2)} ms/post; herald is ` +
      `${share.toFixed(2)} × docutils → ${share <= 0.25 ? 'met' : 'NOT met'}`,
  )
}

// Render time against post size (issue 12): one post of ~1 MB and one of ~10 MB, made of the same seed bodies (a post
// this big is refused by max_post_kb in normal loading, but the renderer must not be worse than linear).
const sized = (megabytes: number) => {
  const parts: string[] = []
  let length = 0
  for (let index = 0; length < megabytes * 1024 * 1024; index++) {
    const body = fixtureShapedBody(index)
    parts.push(body)
    length += body.length + 1
  }
  return parts.join('\n')
}
const timeOf = async (body: string) => {
  const start = performance.now()
  await renderer.render(body)
  return performance.now() - start
}
// The real posts of test/fixtures/nikola-corpus (reST and Markdown, with their includes and listings).
const corpusDir = path.resolve(import.meta.dirname, '../test/fixtures/nikola-corpus')
const corpus = await Promise.all(
  (await glob(['*/posts/**/*.{rst,txt,md}'], { cwd: corpusDir })).map(async (file) => {
    const site = path.join(corpusDir, file.split('/')[0]!)
    const relative = file.split('/').slice(1).join('/')
    const { body } = splitMetadata(readFileSync(path.join(corpusDir, file), 'utf8'))
    return { body, context: { format: formatOf(relative), file: relative, files: await readReferencedFiles(site, body, relative) } }
  }),
)
for (const post of corpus) await renderer.render(post.body, post.context)
const corpusStart = performance.now()
for (let round = 0; round < 5; round++) for (const post of corpus) await renderer.render(post.body, post.context)
console.log(
  `real Nikola posts (test/fixtures/nikola-corpus): ${corpus.length} posts, ` +
    `${((performance.now() - corpusStart) / corpus.length / 5).toFixed(2)} ms/post`,
)

if (!values['skip-size']) {
  const oneMb = await timeOf(sized(1))
  const tenMb = await timeOf(sized(10))
  console.log(`post size: 1 MB ${(oneMb / 1000).toFixed(2)} s, 10 MB ${(tenMb / 1000).toFixed(2)} s → ${(tenMb / oneMb).toFixed(1)}×`)
  console.log(`target: 10 MB within 12× of 1 MB → ${tenMb <= 12 * oneMb ? 'met' : 'NOT met'}`)
}

function docutilsMsPerPost(texts: string[]): number | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'))
  const input = path.join(dir, 'bodies.json')
  writeFileSync(input, JSON.stringify(texts))
  const script = `
import json, sys, time
from docutils.core import publish_parts
bodies = json.load(open(sys.argv[1], encoding='utf-8'))
settings = {
    'report_level': 5, 'halt_level': 5, 'input_encoding': 'unicode',
    'doctitle_xform': False, 'initial_header_level': 2, 'embed_stylesheet': False,
}
for body in bodies[:5]: publish_parts(body, writer_name='html5', settings_overrides=settings)
start = time.perf_counter()
for body in bodies: publish_parts(body, writer_name='html5', settings_overrides=settings)
print((time.perf_counter() - start) * 1000 / len(bodies))
`
  try {
    return Number(execFileSync('python3', ['-c', script, input], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
  } catch {
    return null
  }
}
