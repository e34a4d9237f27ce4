import { parentPort } from 'node:worker_threads'

// A feed thread that starts, then dies on the first thing it is asked (threadedFeedRenderer's fallback test).
parentPort!.on('message', () => {
  process.exit(3)
})
