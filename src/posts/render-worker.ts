import { parentPort } from 'node:worker_threads'
import { RstToHtmlCompiler } from 'rst-compiler'
import { renderRst } from './rst.js'

// A render thread of the pool in render-pool.ts: renders bodies it is sent, one at a time.
parentPort!.on('message', (message: { id: number; body: string }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: renderRst(RstToHtmlCompiler, message.body) })
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message })
  }
})
