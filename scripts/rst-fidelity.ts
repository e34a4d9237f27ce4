// Prints how close Herald's reST rendering is to docutils on the golden corpus (test/fixtures/rst).
// Usage: npx tsx scripts/rst-fidelity.ts
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createRstRenderer } from '../src/posts/rst.js'
import { readReferencedFiles } from '../src/posts/sources.js'
import { fidelity } from '../test/support/html-tokens.js'

const corpus = path.resolve(import.meta.dirname, '../test/fixtures/rst')
const renderer = createRstRenderer()
let sum = 0
const names = readdirSync(corpus)
  .filter((name) => name.endsWith('.rst'))
  .sort()
for (const name of names) {
  const golden = readFileSync(path.join(corpus, name.replace(/\.rst$/, '.docutils.html')), 'utf8')
  const body = readFileSync(path.join(corpus, name), 'utf8')
  const rendered = await renderer.render(body, { file: name, files: await readReferencedFiles(corpus, body, name) })
  const score = fidelity(golden, rendered.html)
  sum += score
  console.log(`${name.padEnd(34)} ${score.toFixed(3)}${rendered.warnings.length ? `  (${rendered.warnings.length} warnings)` : ''}`)
}
console.log(`${'mean'.padEnd(34)} ${(sum / names.length).toFixed(3)}`)
