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

// Importing the feed libraries is most of this thread's start-up, done while the main thread is still loading posts;
// it then announces the renderers' fingerprint and renders what it is sent.
const [{ renderersFingerprint }, { renderFeedFiles }] = await Promise.all([import('./canary.js'), import('./render-files.js')])
parentPort!.postMessage({ fingerprint: renderersFingerprint() })
parentPort!.on('message', (message: { id: number; request: FeedRenderRequest }) => {
  renderFeedFiles(message.request).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: Error) => parentPort!.postMessage({ id: message.id, error: error.message }),
  )
})
