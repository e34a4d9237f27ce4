import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgress } from '../../src/cli/progress.js'
import type { CliRuntime } from '../../src/cli/runtime.js'

function runtime(interactive: boolean): { runtime: CliRuntime; written: () => string } {
  const stderr = new PassThrough()
  let text = ''
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
  Object.assign(stderr, { isTTY: interactive, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true })
  return { runtime: { stdout: new PassThrough(), stderr, env: {}, cwd: '/', interactive }, written: () => text }
}

describe('progress display', () => {
  it('draws done/total, rate and ETA on a terminal', () => {
    const { runtime: tty, written } = runtime(true)
    const progress = createProgress(tty, 'emails')
    progress.update(10, 200)
    progress.update(150, 200)
    progress.stop()
    expect(written()).toMatch(/150\/200 emails \| \d+\/s \| ETA/)
  })

  it('writes nothing when not on a terminal (cron, CI, pipes), nor for small jobs', () => {
    const { runtime: pipe, written } = runtime(false)
    const progress = createProgress(pipe, 'emails')
    progress.update(100, 200)
    progress.stop()
    expect(written()).toBe('')
    const { runtime: tty, written: ttyWritten } = runtime(true)
    const small = createProgress(tty, 'posts')
    small.update(3, 7)
    small.stop()
    expect(ttyWritten()).toBe('')
  })
})
