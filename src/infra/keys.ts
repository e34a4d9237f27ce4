/**
 * Every Redis key of a site, from one place (docs/architecture.md lists them). Each key starts with the site's
 * hash-tagged prefix, `{herald}` by default: the braces are a Redis Cluster hash tag, so all of a site's keys (and
 * its BullMQ queues, which use the same prefix) live in one slot and multi-key scripts work on a cluster too.
 */
export interface SiteKeys {
  /** The hash-tagged prefix itself, e.g. `{herald}`. Also BullMQ's `prefix` option. */
  readonly root: string
  /** Hash: whose data this is (the site's URL), the data's schema version, when it was first used. */
  site(): string
  /** String with a TTL: a data migration is running. */
  migrationLock(): string
  /** Hash: one subscriber. */
  subscriber(subscriberId: string): string
  /** A SCAN pattern matching every subscriber hash (data migrations). */
  subscriberPattern(): string
  /** Sorted set (score 0): ids of the subscribers in one status. */
  subscribersInStatus(status: string): string
  /** String: set once the first run has recorded the archive as already announced. */
  ledgerInitialised(): string
  /** Hash: feed id → the edition that announced the post, or the baseline marker. */
  announcedPosts(): string
  /** String (counter): the sequence number of the last announced post; every announced post gets the next one. */
  announceSequence(): string
  /** Hash: feed id → snapshot JSON of every announced post (what digests are rendered from). */
  announcedSnapshots(): string
  /** Sorted set: feed ids of announced posts by sequence number (the ranges editions and subscribers cover). */
  announcedBySequence(): string
  /** Hash: the last daily or weekly edition made (its slot and the sequence number it covers up to). */
  cadenceState(cadence: string): string
  /** Hash: an edition's progress counters. */
  edition(editionId: string): string
  /** What {@link SiteKeys.edition} starts with: the claim script derives the keys of the edition it creates. */
  editionKeyPrefix(): string
  /** Hash: feed id → post snapshot JSON of an edition. */
  editionPosts(editionId: string): string
  /** Hash: subscriber id → send record JSON (the send ledger of an edition). */
  editionSends(editionId: string): string
  /** Sorted set by creation time: every edition. */
  editions(): string
  /** Sorted set by creation time: editions still sending. */
  openEditions(): string
  /** String with a TTL: who is sending to one subscriber right now, in any edition. */
  sendLock(subscriberId: string): string
  /** What {@link SiteKeys.sendLock} starts with (the batch lock scripts derive each recipient's). */
  sendLockPrefix(): string
  /** String with a TTL: a worker's heartbeat. */
  workerHeartbeat(workerId: string): string
  /** What {@link SiteKeys.workerHeartbeat} starts with (the lock script checks a holder's heartbeat). */
  workerHeartbeatPrefix(): string
  /** Hash with a TTL: the circuit breaker's count of identical failures in a row. */
  breaker(): string
  /** Hash: editions made per periodic cadence (daily, weekly); the rest of {@link SiteKeys.editions} are instant. */
  editionTotals(): string
  /** Hash: site-wide send outcome counters (`/metrics`). */
  sendTotals(): string
  /** Hash: what the last publish cycle did (`/metrics`). */
  lastCycle(): string
  /** String with a TTL: a confirmation email went to this pending subscriber recently (cool-down). */
  confirmationSent(subscriberId: string): string
  /** What the per-client counters of a rate limit start with (the rate-limit plugin appends the client). */
  rateLimitPrefix(name: string): string
  /** List (newest first, capped): returned mail about one subscriber (not under `subscriber:`, which a migration scans). */
  subscriberEvents(subscriberId: string): string
  /** Hash with a TTL while the edition sends: receiving domain → recipients the edition was sent to there. */
  editionDomains(editionId: string): string
  /** Hash: receiving domain → subscribers of the edition whose bounce from there was counted. */
  editionBounceTally(editionId: string): string
  /** Set: subscribers of the edition whose bounce was counted in the tally (each counts once). */
  editionBounced(editionId: string): string
  /** Set: receiving domains whose bounces of the edition passed the flood threshold (held for review). */
  editionFlooded(editionId: string): string
  /** List: bounces of the edition from one domain that were applied (undone and held if the domain floods). */
  editionBouncesApplied(editionId: string, domain: string): string
  /** Set of `<edition> <domain>`: groups of bounces held for review. */
  heldBounceGroups(): string
  /** Hash: event id → a held bounce of one edition from one domain. */
  heldBounces(editionId: string, domain: string): string
  /** String with a TTL: a returned message or webhook event already handled (replays change nothing). */
  bounceSeen(id: string): string
  /** Hash: site-wide counts of returned mail by kind and source, and by outcome (`/metrics`). */
  bounceTotals(): string
}

/** Builds the keys of a site from its prefix (`HERALD_PREFIX`). A prefix that already has a `{…}` tag is used as is. */
export function siteKeys(prefix: string): SiteKeys {
  const root = /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`
  const key = (...parts: string[]) => [root, ...parts].join(':')
  return Object.freeze({
    root,
    site: () => key('site'),
    migrationLock: () => key('migrating'),
    subscriber: (subscriberId: string) => key('subscriber', subscriberId),
    subscriberPattern: () => key('subscriber', '*'),
    subscribersInStatus: (status: string) => key('subscribers', status),
    ledgerInitialised: () => key('ledger', 'initialised'),
    announcedPosts: () => key('ledger', 'announced'),
    announceSequence: () => key('ledger', 'sequence'),
    announcedSnapshots: () => key('ledger', 'snapshots'),
    announcedBySequence: () => key('ledger', 'by-sequence'),
    cadenceState: (cadence: string) => key('cadence', cadence),
    edition: (editionId: string) => key('edition', editionId),
    editionKeyPrefix: () => key('edition', ''),
    editionPosts: (editionId: string) => key('edition', editionId, 'posts'),
    editionSends: (editionId: string) => key('edition', editionId, 'sends'),
    editions: () => key('editions'),
    openEditions: () => key('editions', 'open'),
    sendLock: (subscriberId: string) => key('lock', 'send', subscriberId),
    sendLockPrefix: () => key('lock', 'send', ''),
    workerHeartbeat: (workerId: string) => key('worker', workerId),
    workerHeartbeatPrefix: () => key('worker', ''),
    breaker: () => key('breaker'),
    editionTotals: () => key('stats', 'editions'),
    sendTotals: () => key('stats', 'sends'),
    lastCycle: () => key('stats', 'cycle'),
    confirmationSent: (subscriberId: string) => key('confirm-sent', subscriberId),
    rateLimitPrefix: (name: string) => key('ratelimit', name, ''),
    subscriberEvents: (subscriberId: string) => key('events', subscriberId),
    editionDomains: (editionId: string) => key('edition', editionId, 'domains'),
    editionBounceTally: (editionId: string) => key('edition', editionId, 'bounce-tally'),
    editionBounced: (editionId: string) => key('edition', editionId, 'bounced'),
    editionFlooded: (editionId: string) => key('edition', editionId, 'flooded'),
    editionBouncesApplied: (editionId: string, domain: string) => key('edition', editionId, 'bounces-applied', domain),
    heldBounceGroups: () => key('bounces', 'held'),
    heldBounces: (editionId: string, domain: string) => key('bounces', 'held', editionId, domain),
    bounceSeen: (id: string) => key('bounces', 'seen', id),
    bounceTotals: () => key('stats', 'bounces'),
  })
}
