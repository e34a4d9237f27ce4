import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../infra/threads.js'
import type { FeedRenderRequest } from './render-files.js'
import type { WriteFeedsResult } from './write.js'

/**
 * Renders and writes feed files (feeds/render-files.ts), here or in a thread. `fingerprint` identifies what the
 * renderers make of their input (feeds/canary.ts), for the feed manifest's keys.
 */
export interface FeedFileRenderer {
  fingerprint(): Promise<string>
  render(request: FeedRenderRequest): Promise<WriteFeedsResult>
  close(): Promise<void>
}

/** Renders in this thread; the feed libraries are loaded on first use. */
export function inlineFeedRenderer(): FeedFileRenderer {
  return {
    async fingerprint() {
      return (await import('./canary.js')).renderersFingerprint()
    },
    async render(request) {
      return (await import('./render-files.js')).renderFeedFiles(request)
    },
    async close() {},
  }
}

/** Options for {@link threadedFeedRenderer}. */
export interface ThreadedFeedRendererOptions {
  /** Called when the thread fails and the rest is rendered in this thread instead. */
  readonly onFallback: (error: Error) => void
  /** The site's time zone: the thread makes ICU's date data ready for it (see render-thread.ts). */
  readonly timeZone?: string
  /** The thread's module. Default: feeds/render-thread. Tests give one that fails. */
  readonly threadModule?: URL
}

/**
 * Renders in a worker thread started now, so that loading the feed libraries (the `feed` package, html-to-text,
 * saxes: a third of a one-post rebuild) overlaps the loading of posts. Should the thread fail, what it was asked is
 * rendered in this thread instead (`onFallback` says why): feeds never depend on the thread.
 */
export function threadedFeedRenderer(options: ThreadedFeedRendererOptions): FeedFileRenderer {
  const inline = inlineFeedRenderer()
  let failure: Error | null = null
  const pending = new Map<number, { resolve(answer: ThreadAnswer): void; reject(error: Error): void }>()
  let nextId = 0
  let worker: Worker | null = null
  const fail = (error: Error) => {
    if (failure) return
    failure = error
    options.onFallback(error)
    for (const call of pending.values()) call.reject(error)
    pending.clear()
    void worker?.terminate()
  }
  try {
    worker = startModuleWorker(
      options.threadModule ?? new URL(`./render-thread.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
      { workerData: { timeZone: options.timeZone } },
    )
    worker.on('message', (answer: ThreadAnswer) => {
      const call = pending.get(answer.id)
      pending.delete(answer.id)
      call?.resolve(answer)
    })
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the feed thread exited (code ${code})`)))
  } catch (error) {
    fail(error as Error)
  }

  /** Asks the thread; null when it failed (before or while answering), so the caller does the work here. */
  const ask = async (request?: FeedRenderRequest): Promise<ThreadAnswer | null> => {
    if (failure || !worker) return null
    const id = nextId++
    const answer = new Promise<ThreadAnswer>((resolve, reject) => pending.set(id, { resolve, reject }))
    worker.postMessage(request === undefined ? { id } : { id, request })
    // A thread that died mid-way may have written some files; rendering all of them again here is harmless, since
    // unchanged files are left alone.
    return answer.catch(() => null)
  }

  return {
    async fingerprint() {
      const answer = await ask()
      return answer?.fingerprint ?? inline.fingerprint()
    },
    async render(request) {
      const answer = await ask(request)
      if (answer === null) return inline.render(request)
      if (answer.error !== undefined) throw new Error(answer.error)
      return answer.result!
    },
    async close() {
      const running = worker
      worker = null
      failure ??= new Error('closed')
      if (running) {
        running.removeAllListeners('exit')
        await running.terminate()
      }
    },
  }
}

/** What the feed thread answers: a fingerprint, a render's result, or why the render failed. */
interface ThreadAnswer {
  readonly id: number
  readonly fingerprint?: string
  readonly result?: WriteFeedsResult
  readonly error?: string
}
