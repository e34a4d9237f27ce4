import { parentPort } from 'node:worker_threads'
import { renderersFingerprint } from './canary.js'
import { type FeedRenderRequest, renderFeedFiles } from './render-files.js'

// The feed thread of feed-renderer.ts. Importing the feed libraries is most of its start-up, done while the main
// thread is still loading posts; it then announces the renderers' fingerprint and renders what it is sent.
parentPort!.postMessage({ fingerprint: renderersFingerprint() })
parentPort!.on('message', (message: { id: number; request: FeedRenderRequest }) => {
  renderFeedFiles(message.request).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: Error) => parentPort!.postMessage({ id: message.id, error: error.message }),
  )
})
