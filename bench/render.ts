// Render time per post on generated fixture-shaped posts; docutils' time on the same bodies when installed.
// Usage: npm run bench:render [-- --posts 200]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createRstRenderer } from '../src/posts/rst.js'
import { fixtureShapedBody } from './generate.js'

const { values } = parseArgs({ options: { posts: { type: 'string', default: '200' } } })
const count = Number(values.posts)
const bodies = Array.from({ length: count }, (_, index) => fixtureShapedBody(index))
const renderer = createRstRenderer()

for (const body of bodies.slice(0, 20)) await renderer.render(body) // warm-up (JIT, lazy engine import)
const started = performance.now()
for (const body of bodies) await renderer.render(body)
const heraldMs = (performance.now() - started) / count
const averageKb = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / count / 1024
console.log(`posts: ${count} generated, ${averageKb.toFixed(1)} KB each (fixture-shaped)`)
console.log(`herald (rst-compiler + adjustments): ${heraldMs.toFixed(2)} ms/post`)

const docutils = docutilsMsPerPost(bodies)
if (docutils === null) console.log('docutils: not installed (python3 -c "import docutils" failed); skipped')
else
  console.log(
    `docutils (publish_parts html5, same bodies): ${docutils.toFixed(2)} ms/post  → herald is ${(docutils / heraldMs).toFixed(1)}× faster`,
  )
console.log(`target: ≤ 2 ms/post → ${heraldMs <= 2 ? 'met' : 'NOT met'}`)

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
