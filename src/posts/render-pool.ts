import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../infra/threads.js'
import type { RstRenderer } from './load.js'
import type { RenderContext, RenderedBody } from './types.js'

/** Options for {@link createPooledRenderer}. */
export interface PooledRendererOptions {
  /** Renders this many bodies in this thread before starting worker threads (a few misses are not worth a pool). Default 16. */
  readonly inlineFirst?: number
  /** Worker threads once the pool starts. Default: the number of cores. */
  readonly threads?: number
}

/** A renderer that moves work to worker threads when there is a lot of it; `close` stops them. */
export interface PooledRenderer extends RstRenderer {
  close(): Promise<void>
}

/**
 * Rendering is the bulk of a clean build (about 2 ms per post, on one core): past the first few cache misses,
 * bodies are rendered on all cores by worker threads running the same `renderBody`, so the output is identical.
 */
export function createPooledRenderer(inline: RstRenderer, options: PooledRendererOptions = {}): PooledRenderer {
  const inlineFirst = options.inlineFirst ?? 16
  const threads = Math.max(1, options.threads ?? availableParallelism())
  let misses = 0
  let pool: Pool | undefined
  return {
    id: inline.id,
    render(body, context = {}) {
      if (!pool && ++misses <= inlineFirst) return inline.render(body, context)
      pool ??= new Pool(threads)
      return pool.render(body, context)
    },
    expect(count) {
      // Started now, the threads load the renderer while this thread is still reading the posts.
      if (count > inlineFirst) pool ??= new Pool(threads)
    },
    async close() {
      await pool?.close()
    },
  }
}

interface Task {
  readonly id: number
  readonly body: string
  readonly context: RenderContext
  resolve(result: RenderedBody): void
  reject(error: Error): void
}

/**
 * Bodies sent ahead to each thread: a thread that finishes one starts the next at once, even while this thread is busy
 * reading posts and cannot answer its message yet.
 */
const IN_FLIGHT = 4

class Pool {
  private readonly workers: Worker[] = []
  private readonly queue: Task[] = []
  /** Per usable thread, the tasks sent to it, in the order it renders them. */
  private readonly inFlight = new Map<Worker, Task[]>()
  private nextId = 0

  constructor(size: number) {
    for (let index = 0; index < size; index++) {
      const worker = startModuleWorker(new URL(`./render-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url))
      worker.on('message', (message: { id: number; result?: RenderedBody; error?: string }) => {
        const sent = this.inFlight.get(worker)
        const task = sent?.[0]?.id === message.id ? sent.shift() : undefined
        if (task) {
          if (message.error !== undefined) task.reject(new Error(message.error))
          else task.resolve(message.result!)
        }
        this.fill()
      })
      worker.on('error', (error) => {
        // A thread that failed gets no more work; what it held fails with its error.
        const sent = this.inFlight.get(worker) ?? []
        this.inFlight.delete(worker)
        for (const task of sent) task.reject(error)
        // With no thread left, what is still queued would wait forever.
        if (this.inFlight.size === 0) for (const task of this.queue.splice(0)) task.reject(error)
      })
      this.workers.push(worker)
      this.inFlight.set(worker, [])
    }
  }

  render(body: string, context: RenderContext): Promise<RenderedBody> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, body, context, resolve, reject })
      this.fill()
    })
  }

  /** Sends queued tasks to the threads with the fewest in flight, up to {@link IN_FLIGHT} each. */
  private fill(): void {
    while (this.queue.length > 0) {
      let target: Task[] | undefined
      let worker: Worker | undefined
      for (const [candidate, sent] of this.inFlight) {
        if (sent.length < IN_FLIGHT && (target === undefined || sent.length < target.length)) {
          target = sent
          worker = candidate
        }
      }
      if (!target || !worker) return
      const task = this.queue.shift()!
      target.push(task)
      worker.postMessage({ id: task.id, body: task.body, context: task.context })
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }
}
