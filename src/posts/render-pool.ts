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

class Pool {
  private readonly idle: Worker[] = []
  private readonly workers: Worker[] = []
  private readonly queue: Task[] = []
  private readonly running = new Map<Worker, Task>()
  private nextId = 0

  constructor(size: number) {
    for (let index = 0; index < size; index++) {
      const worker = startModuleWorker(new URL(`./render-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url))
      worker.on('message', (message: { id: number; result?: RenderedBody; error?: string }) => {
        const task = this.running.get(worker)
        this.running.delete(worker)
        if (task) {
          if (message.error !== undefined) task.reject(new Error(message.error))
          else task.resolve(message.result!)
        }
        this.dispatch(worker)
      })
      worker.on('error', (error) => {
        const task = this.running.get(worker)
        this.running.delete(worker)
        task?.reject(error)
      })
      this.workers.push(worker)
      this.idle.push(worker)
    }
  }

  render(body: string, context: RenderContext): Promise<RenderedBody> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, body, context, resolve, reject })
      const worker = this.idle.pop()
      if (worker) this.dispatch(worker)
    })
  }

  private dispatch(worker: Worker): void {
    const task = this.queue.shift()
    if (!task) {
      this.idle.push(worker)
      return
    }
    this.running.set(worker, task)
    worker.postMessage({ id: task.id, body: task.body, context: task.context })
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }
}
