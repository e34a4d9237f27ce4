import type { Subscriber } from '../subscribers/store.js'
import type { Edition } from './store.js'

/** Most posts one digest carries; a subscriber further behind gets the newest ones (docs/reliability.md). */
export const MAX_DIGEST_POSTS = 50

/**
 * What an edition means for one subscriber:
 * - `own-posts`: an edition from before cadences: its own posts, as then;
 * - `range`: the announced posts after `afterSeq` up to `upToSeq` (then filtered by the subscriber's tags);
 * - `skip`: nothing for them (another cadence, or a later edition already had these posts);
 * - `wait`: another edition's message to them is in flight or in doubt; this one waits until that one is settled,
 *   so the two can never carry the same post.
 */
export type Coverage =
  | { readonly kind: 'own-posts' }
  | { readonly kind: 'range'; readonly afterSeq: number; readonly upToSeq: number }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'wait'; readonly otherEdition: string }

/** Decides {@link Coverage} from the edition and the subscriber as they are now (read under the subscriber's send lock). */
export function coverageOf(
  edition: Pick<Edition, 'id' | 'cadence' | 'toSeq'>,
  subscriber: Pick<Subscriber, 'cadence' | 'seenSeq' | 'sendingIn'>,
): Coverage {
  if (edition.toSeq === null) return { kind: 'own-posts' }
  if (subscriber.cadence !== edition.cadence) return { kind: 'skip', reason: `the subscriber's cadence is now ${subscriber.cadence}` }
  if (subscriber.sendingIn !== null && subscriber.sendingIn !== edition.id) return { kind: 'wait', otherEdition: subscriber.sendingIn }
  if (subscriber.seenSeq >= edition.toSeq) return { kind: 'skip', reason: 'another edition already had these posts' }
  return { kind: 'range', afterSeq: Math.max(subscriber.seenSeq, edition.toSeq - MAX_DIGEST_POSTS), upToSeq: edition.toSeq }
}
