import { parentPort, workerData } from 'node:worker_threads'
import type { FeedRenderRequest } from './render-files.js'

// The feed thread of feed-renderer.ts. ICU's date data is shared by every thread of the process and costs ~20 ms on
// first use; made ready here first, the main thread does not pay for it when it reads the dates of new posts.
const { timeZone } = (workerData ?? {}) as { timeZone?: string }
try {
  if (timeZone) new Intl.DateTimeFormat('en-US', { timeZone }).format(0)
} catch {
  // Only a head start: a zone ICU does not know is reported where the dates are read.
}

// Importing the feed libraries is most of this thread's start-up, done while the main thread is still loading posts.
// Then it answers what it is asked: the renderers' fingerprint (when the manifest has none for this code), or files to
// render.
const [{ renderersFingerprint }, { renderFeedFiles }] = await Promise.all([import('./canary.js'), import('./render-files.js')])
// Rendered whether or not it is asked for: the canary document warms up the code that renders the real feeds (measured:
// skipping it made the first real render that much slower), and the main thread is still loading posts meanwhile.
const fingerprint = renderersFingerprint()
parentPort!.on('message', (message: { id: number; request?: FeedRenderRequest }) => {
  if (message.request === undefined) {
    parentPort!.postMessage({ id: message.id, fingerprint })
    return
  }
  renderFeedFiles(message.request).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: Error) => parentPort!.postMessage({ id: message.id, error: error.message }),
  )
})
