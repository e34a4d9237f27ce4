import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createPooledRenderer } from '../../src/posts/render-pool.js'
import { createRstRenderer } from '../../src/posts/rst.js'
import { REPO_ROOT } from '../support/site.js'

describe('rendering on worker threads', () => {
  it('gives exactly what rendering in this thread gives, warnings included', async () => {
    const corpus = path.join(REPO_ROOT, 'test/fixtures/rst')
    const bodies = readdirSync(corpus)
      .filter((name) => name.endsWith('.rst'))
      .map((name) => readFileSync(path.join(corpus, name), 'utf8'))
    bodies.push('Intro.\n\n.. youtub:: abc\n\nAnd a `dangling`_ reference.\n')
    const inline = createRstRenderer()
    const pooled = createPooledRenderer(createRstRenderer(), { inlineFirst: 2, threads: 2 })
    try {
      const fromPool = await Promise.all(bodies.map((body) => pooled.render(body)))
      for (const [index, body] of bodies.entries()) expect(fromPool[index]).toEqual(await inline.render(body))
      expect(fromPool.at(-1)!.warnings.map((warning) => warning.message)).toEqual([
        expect.stringContaining('unknown directive "youtub"'),
        expect.stringContaining('reference "dangling_" has no target'),
      ])
    } finally {
      await pooled.close()
    }
  })

  it('keeps its threads busy while this thread is busy: bodies are sent ahead, not one per turn of the event loop', async () => {
    const pooled = createPooledRenderer(createRstRenderer(), { inlineFirst: 0, threads: 2 })
    try {
      await pooled.render('Warm-up.\n')
      let resolved = 0
      const bodies = Array.from({ length: 12 }, (_, index) => `Post ${index}: *some* text.\n`)
      const all = Promise.all(
        bodies.map(async (body) => {
          const result = await pooled.render(body)
          resolved++
          return result
        }),
      )
      // As while posts are read: this thread answers no message for a while.
      const until = Date.now() + 400
      while (Date.now() < until) {
        // busy
      }
      await new Promise((resolve) => setImmediate(resolve))
      // One body per thread without sending ahead; here each thread rendered what it had been sent meanwhile.
      expect(resolved).toBeGreaterThan(4)
      expect((await all).map((result) => result.html)).toEqual(bodies.map((_, index) => expect.stringContaining(`Post ${index}`)))
    } finally {
      await pooled.close()
    }
  })
})
