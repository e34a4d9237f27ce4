import type { Edition, EditionStore } from '../editions/store.js'

/** Options for {@link waitForEditions}. */
export interface WaitOptions {
  /** Stops waiting when aborted (the editions stay open; nothing is lost). */
  readonly signal?: AbortSignal
  /** Told how many recipients are finished out of how many are expected. */
  readonly onProgress?: (finished: number, expected: number) => void
  /** Poll interval. Default 200 ms. */
  readonly pollMs?: number
  /** Called when nothing moved for `requeueEveryMs` (re-queueing open editions revives lost jobs). */
  readonly requeue?: () => Promise<void>
  /** Default 30 s. */
  readonly requeueEveryMs?: number
}

/** Polls the editions until every one is done or paused (or the signal fires), reporting progress. */
export async function waitForEditions(editions: EditionStore, ids: readonly string[], options: WaitOptions = {}): Promise<Edition[]> {
  let lastProgress = { finished: -1, at: Date.now() }
  for (;;) {
    const current = (await Promise.all(ids.map((id) => editions.get(id)))).filter((edition): edition is Edition => edition !== null)
    const expected = current.reduce((sum, edition) => sum + edition.expected, 0)
    const finished = current.reduce((sum, edition) => sum + edition.sent + edition.failed + edition.skipped, 0)
    // Re-queue only when nothing moved for a while (a retry waiting on its backoff looks the same, and is harmless).
    if (finished !== lastProgress.finished) lastProgress = { finished, at: Date.now() }
    else if (options.requeue && Date.now() - lastProgress.at > (options.requeueEveryMs ?? 30_000)) {
      lastProgress = { finished, at: Date.now() }
      await options.requeue()
    }
    options.onProgress?.(finished, expected)
    // A paused edition waits for a fix, not for time: stop waiting for it.
    if (current.every((edition) => edition.status !== 'open') || options.signal?.aborted) return current
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200))
  }
}
