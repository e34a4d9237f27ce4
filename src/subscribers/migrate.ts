import type { Redis } from 'ioredis'
import type { SiteKeys } from '../infra/keys.js'
import type { Logger } from '../log.js'
import { normaliseEmail } from '../mail/address.js'
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from './store.js'

/** What {@link migrateToAsciiDomainIds} changed. */
export interface IdMigration {
  /** Subscribers whose id changed (their domain had a Unicode spelling). */
  readonly moved: number
  /** Pairs that turned out to be one mailbox (`a@пример.рф` and `a@xn--e1afmkfd.xn--p1ai`), merged into one. */
  readonly merged: number
}

/** When two records are one mailbox, the merged one takes the status that respects the reader most: an opt-out wins. */
const PRECEDENCE: readonly SubscriberStatus[] = ['unsubscribed', 'bounced', 'active', 'pending']

/**
 * Schema 1 → 2: subscriber ids used to be derived from the address as written, so one mailbox spelled with a Unicode
 * domain and with its punycode form were two subscribers (and got every digest twice). Ids now come from the ASCII
 * form. This moves every subscriber whose id changed to its new id (hash and status-set membership) and merges the
 * pairs that were one mailbox. Idempotent: run again, it finds nothing to move. Editions already sending keep their
 * send ledger under the old ids; a recipient moved in the middle of one is skipped for that edition ("removed").
 */
export async function migrateToAsciiDomainIds(redis: Redis, keys: SiteKeys, logger: Logger): Promise<IdMigration> {
  let moved = 0
  let merged = 0
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.subscriberPattern(), 'COUNT', 1000)
    cursor = next
    for (const key of found) {
      const oldId = key.slice(key.lastIndexOf(':') + 1)
      const record = await redis.hgetall(key)
      if (!record.email || !record.status) continue
      let address: ReturnType<typeof normaliseEmail>
      try {
        address = normaliseEmail(record.email)
      } catch {
        continue
      }
      if (address.id === oldId) continue
      const target = keys.subscriber(address.id)
      const existing = await redis.hgetall(target)
      const keep = existing.status ? mergedRecord(existing, record) : record
      const transaction = redis.multi()
      for (const status of SUBSCRIBER_STATUSES) transaction.zrem(keys.subscribersInStatus(status), oldId, address.id)
      transaction.del(key, target)
      transaction.hset(target, { ...keep, email: address.email })
      transaction.zadd(keys.subscribersInStatus(keep.status as SubscriberStatus), 0, address.id)
      await transaction.exec()
      if (existing.status) merged++
      else moved++
    }
  } while (cursor !== '0')
  if (moved + merged > 0)
    logger.info(`subscribers: ${moved} moved to ids from the ASCII form of their domain, ${merged} duplicate mailboxes merged`)
  return { moved, merged }
}

function mergedRecord(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const rank = (record: Record<string, string>) => PRECEDENCE.indexOf(record.status as SubscriberStatus)
  const [first, second] = rank(a) <= rank(b) ? [a, b] : [b, a]
  // Consent is kept from the earlier record: it is the older proof.
  const older = (second.consentAt ?? '') < (first.consentAt ?? '') && second.consentAt ? second : first
  return {
    ...first,
    createdAt: [a.createdAt, b.createdAt].filter(Boolean).sort()[0] ?? first.createdAt ?? '',
    consentSource: older.consentSource ?? '',
    consentAt: older.consentAt ?? '',
    consentIp: older.consentIp ?? '',
    consentUserAgent: older.consentUserAgent ?? '',
  }
}
