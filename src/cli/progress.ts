import { createRequire } from 'node:module'
import type * as CliProgress from 'cli-progress'
import type { CliRuntime } from './runtime.js'

// Loaded when a bar is first drawn: most runs (cron, pipes, CI) never draw one, and loading it is 16 files.
const require = createRequire(import.meta.url)

/** A progress display: a bar with done/total, rate and ETA on a terminal; nothing otherwise. */
export interface Progress {
  update: (done: number, total: number) => void
  stop: () => void
}

/** Only draws on an interactive terminal (never in cron logs, pipes or CI). */
export function createProgress(runtime: CliRuntime, unit: string): Progress {
  if (!runtime.interactive) return { update: () => {}, stop: () => {} }
  let bar: CliProgress.SingleBar | undefined
  let startedAt = 0
  return {
    update(done, total) {
      if (!bar) {
        if (total < 50) return
        const { Presets, SingleBar } = require('cli-progress') as typeof CliProgress
        bar = new SingleBar(
          {
            format: ` {bar} {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
            stream: runtime.stderr as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: true,
          },
          Presets.shades_classic,
        )
        bar.start(total, 0, { rate: '0' })
        startedAt = performance.now()
      }
      const seconds = (performance.now() - startedAt) / 1000
      bar.setTotal(total)
      bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds).toString() : '0' })
    },
    stop() {
      bar?.stop()
    },
  }
}
