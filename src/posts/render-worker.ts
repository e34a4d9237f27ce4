import { parentPort } from 'node:worker_threads'
import { renderBody } from './render-body.js'
import type { RenderContext } from './types.js'

// A render thread of the pool in render-pool.ts: renders bodies it is sent, one at a time.
parentPort!.on('message', (message: { id: number; body: string; context: RenderContext }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: renderBody(message.body, message.context) })
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message })
  }
})
