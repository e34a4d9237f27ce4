import { parentPort } from 'node:worker_threads'

// A feed thread that starts, then dies on the first render it is asked for (threadedFeedRenderer's fallback test).
parentPort!.postMessage({ fingerprint: 'from-the-failing-thread' })
parentPort!.on('message', () => {
  process.exit(3)
})
