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
  const pending = new Map<number, { resolve(result: WriteFeedsResult): void; reject(error: Error): void }>()
  let nextId = 0
  let fingerprint: { resolve(value: string): void; reject(error: Error): void } | null = null
  const fingerprinted = new Promise<string>((resolve, reject) => {
    fingerprint = { resolve, reject }
  })
  // Rejections are handled where the promise is awaited; this only keeps an unused one from being reported.
  fingerprinted.catch(() => undefined)

  let worker: Worker | null = null
  const fail = (error: Error) => {
    if (failure) return
    failure = error
    options.onFallback(error)
    fingerprint?.reject(error)
    for (const call of pending.values()) call.reject(error)
    pending.clear()
    void worker?.terminate()
  }
  try {
    worker = startModuleWorker(
      options.threadModule ?? new URL(`./render-thread.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
      { workerData: { timeZone: options.timeZone } },
    )
    worker.on('message', (message: { fingerprint?: string; id?: number; result?: WriteFeedsResult; error?: string }) => {
      if (message.fingerprint !== undefined) {
        fingerprint?.resolve(message.fingerprint)
        return
      }
      const call = pending.get(message.id!)
      pending.delete(message.id!)
      if (message.error !== undefined) call?.reject(new Error(message.error))
      else call?.resolve(message.result!)
    })
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the feed thread exited (code ${code})`)))
  } catch (error) {
    fail(error as Error)
  }

  return {
    async fingerprint() {
      if (failure) return inline.fingerprint()
      return fingerprinted.catch(() => inline.fingerprint())
    },
    async render(request) {
      if (failure || !worker) return inline.render(request)
      const id = nextId++
      const answer = new Promise<WriteFeedsResult>((resolve, reject) => pending.set(id, { resolve, reject }))
      worker.postMessage({ id, request })
      // A thread that died mid-way may have written some files; rendering all of them again here is harmless, since
      // unchanged files are left alone.
      return answer.catch((error: Error) => (failure ? inline.render(request) : Promise.reject(error)))
    },
    async close() {
      const running = worker
      worker = null
      if (!failure) failure = new Error('closed')
      if (running) {
        running.removeAllListeners('exit')
        await running.terminate()
      }
    },
  }
}
