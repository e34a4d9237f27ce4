import { createHash } from 'node:crypto'
import { classifyReturnedMail } from '../bounces/classify.js'
import { type BounceReport, heraldMessageIds } from '../bounces/report.js'
import { readReturnedMail } from '../bounces/returned-mail.js'
import type { BounceStore, HeldBounce } from '../bounces/store.js'
import { findVerpAddresses, parseVerpTag, verpTagParts } from '../bounces/verp.js'
import type { Config } from '../config.js'
import type { EditionStore, SendRecord } from '../editions/store.js'
import type { Logger } from '../log.js'
import { normaliseEmail } from '../mail/address.js'
import { type EventKind, type EventOutcome, type EventSource, type SubscriberEvent, SubscriberHistory } from '../subscribers/history.js'
import type { Subscriber, SubscriberStore } from '../subscribers/store.js'

/**
 * What happened to one returned message or event: an {@link EventOutcome} when it was about a message Herald sent, or
 * why it changed nothing before that: `unattributed` (no valid VERP tag, nor, for a verified webhook, Herald's Message-ID
 * or a send to that address), `not_sent` (the send ledger has no such message), `no_subscriber` (removed since),
 * `duplicate` (already handled: a replay or a retry).
 */
export type BounceOutcome = EventOutcome | 'unattributed' | 'not_sent' | 'no_subscriber' | 'duplicate'

/** The result of one returned message or event. */
export interface BounceResult {
  readonly outcome: BounceOutcome
  readonly kind: EventKind
  readonly source: EventSource
  readonly status: string | null
  readonly diagnostic: string
  /** The subscriber's address when attributed, else the address the report named (or null). */
  readonly email: string | null
  readonly editionId: string | null
}

/** Held bounces of one edition from one domain, with what makes them a flood. */
export interface HeldGroupSummary {
  readonly editionId: string
  readonly domain: string
  /** Recipients the edition was sent to at that domain. */
  readonly recipients: number
  /** Bounces from that domain counted for the edition (held, and applied before it flooded). */
  readonly bounced: number
  readonly bounces: readonly HeldBounce[]
}

/** What {@link Bounces} uses; nothing is opened here. */
export interface BouncesOptions {
  readonly config: Config
  readonly subscribers: SubscriberStore
  readonly history: SubscriberHistory
  readonly editions: EditionStore
  readonly store: BounceStore
  /** Signs VERP tags (`verpKey(HERALD_SECRET)`). */
  readonly verpKey: Buffer
  readonly logger: Logger
  readonly now?: () => Date
}

/** How long a handled message or event is remembered: a replay within it changes nothing (webhooks bound it tighter). */
const SEEN_TTL_S = 30 * 86_400
/** How far back a verified webhook without any reference looks for the send it is about. */
const SEND_LOOKBACK_EDITIONS = 50
/** Editions looked through to find a subscriber's latest `email.bounces.soft_editions` sends. */
const SOFT_WINDOW_SCAN = 200

/**
 * Learning from the mail that comes back: one use case for the three ways in (the SMTP listener, `herald bounces
 * ingest`, the webhooks). Each returned message or event is attributed to one message Herald sent (a signed VERP tag;
 * for a verified webhook also Herald's Message-ID or the last send to that address) and checked against the send
 * ledger, classified once (bounces/classify.ts), kept in the subscriber's history, and applied: a hard bounce makes the
 * subscriber bounced, soft ones are counted (`email.bounces.soft_limit` over `soft_editions`), a complaint unsubscribes
 * them with reason `complaint`; anything else changes nothing. Bounces of one edition from one receiving domain that
 * pass `email.bounces.flood_share` of its recipients there are held for review instead, and the ones applied before
 * the threshold are taken back.
 */
export class Bounces {
  private readonly options: BouncesOptions
  private readonly now: () => Date

  constructor(options: BouncesOptions) {
    for (const name of ['config', 'subscribers', 'history', 'editions', 'store', 'verpKey', 'logger'] as const) {
      if (!options?.[name]) throw new TypeError(`Bounces needs options.${name}`)
    }
    this.options = options
    this.now = options.now ?? (() => new Date())
  }

  /**
   * A message that came back to the bounce address (`envelopeRecipients`: the addresses it was delivered to, when
   * known). Only a signed VERP tag attributes it: anyone can send mail, and Herald's Message-IDs can be guessed.
   */
  async receiveMail(raw: Buffer, options: { source: 'smtp' | 'ingest'; envelopeRecipients?: readonly string[] }): Promise<BounceResult> {
    const seen = `mail:${createHash('sha256').update(raw).digest('hex')}`
    if (!(await this.options.store.claim(seen, SEEN_TTL_S))) {
      await this.options.store.count(['outcome:duplicate'])
      return {
        outcome: 'duplicate',
        kind: 'unknown',
        source: options.source,
        status: null,
        diagnostic: 'handled before',
        email: null,
        editionId: null,
      }
    }
    try {
      const mail = await readReturnedMail(raw)
      const text = `${mail.raw}\n${mail.text}`
      const bounceAddress = this.options.config.email.bounceAddress
      const addresses = bounceAddress ? [...(options.envelopeRecipients ?? []), ...findVerpAddresses(text, bounceAddress)] : []
      const target = await this.byVerpTag(addresses)
      const subscriber = target ? await this.options.subscribers.get(target.subscriberId) : null
      const record = target ? await this.options.editions.sendRecord(target.editionId, target.subscriberId) : null
      const classification = classifyReturnedMail(mail, { recipient: record?.email ?? subscriber?.email ?? null })
      const report: BounceReport = {
        source: options.source,
        ...classification,
        at: null,
        references: { addresses, messageIds: [], texts: [] },
        vouched: false,
        eventId: null,
      }
      return await this.settle(report, target)
    } catch (error) {
      await this.options.store.forget(seen)
      throw error
    }
  }

  /** Events from a verified webhook (each one settled on its own; a retried event changes nothing the second time). */
  async receiveReports(reports: readonly BounceReport[]): Promise<BounceResult[]> {
    const results: BounceResult[] = []
    for (const report of reports) {
      const seen = report.eventId ? `event:${report.source}:${createHash('sha256').update(report.eventId).digest('hex')}` : null
      if (seen && !(await this.options.store.claim(seen, SEEN_TTL_S))) {
        await this.options.store.count(['outcome:duplicate'])
        results.push(this.result(report, 'duplicate', null, report.recipient))
        continue
      }
      try {
        results.push(await this.settle(report, await this.attribute(report)))
      } catch (error) {
        if (seen) await this.options.store.forget(seen)
        throw error
      }
    }
    return results
  }

  /** The groups of bounces held for review, with the figures that made each a flood. */
  async held(): Promise<HeldGroupSummary[]> {
    const groups = await this.options.store.heldGroups()
    return Promise.all(
      groups.map(async (group) => ({
        ...group,
        recipients: await this.domainRecipients(group.editionId, group.domain),
        bounced: (await this.options.store.tallies(group.editionId))[group.domain] ?? group.bounces.length,
      })),
    )
  }

  /**
   * Applies (`apply`: each bounce as if there had been no flood) or drops (`discard`: the receiver's outage) the held
   * bounces of the groups that match `filter` (all of them without one).
   */
  async resolveHeld(
    action: 'apply' | 'discard',
    filter: { editionId?: string; domain?: string } = {},
  ): Promise<Array<{ group: HeldGroupSummary; results: BounceResult[] }>> {
    const chosen = (await this.held()).filter(
      (group) =>
        (!filter.editionId || group.editionId.startsWith(filter.editionId)) &&
        (!filter.domain || group.domain === filter.domain.toLowerCase()),
    )
    const done: Array<{ group: HeldGroupSummary; results: BounceResult[] }> = []
    for (const group of chosen) {
      const results: BounceResult[] = []
      for (const bounce of group.bounces) {
        const { event } = bounce
        let outcome: EventOutcome = 'discarded'
        if (action === 'apply') {
          const subscriber = await this.options.subscribers.get(bounce.subscriberId)
          // The held event already is in the history; counting soft bounces must see it as counted.
          if (event.kind === 'soft') await this.options.history.setOutcome(bounce.subscriberId, event.id, 'counted')
          outcome = subscriber ? await this.applyBounce(subscriber, event) : 'recorded'
        }
        await this.options.history.setOutcome(bounce.subscriberId, event.id, outcome)
        await this.options.store.count([`outcome:${outcome}`])
        results.push({ ...this.fromEvent(event, bounce.email), outcome })
      }
      await this.options.store.release(
        group.editionId,
        group.domain,
        group.bounces.map((bounce) => bounce.event.id),
      )
      this.options.logger.info(
        { editionId: group.editionId, domain: group.domain, bounces: group.bounces.length },
        action === 'apply' ? 'held bounces applied' : 'held bounces discarded',
      )
      done.push({ group, results })
    }
    return done
  }

  /** Checks a report against the send ledger, keeps it in the subscriber's history and applies it. */
  private async settle(report: BounceReport, target: { editionId: string; subscriberId: string } | null): Promise<BounceResult> {
    const { store, subscribers, editions, logger } = this.options
    const counts = [`kind:${report.kind}:${report.source}`]
    const finish = async (result: BounceResult) => {
      await store.count([...counts, `outcome:${result.outcome}`])
      // A refusal of the sender or the message is the operator's to fix (DMARC, reputation): say it louder.
      const level =
        result.kind === 'policy' && result.outcome !== 'duplicate'
          ? 'warn'
          : result.outcome === 'bounced' || result.outcome === 'unsubscribed' || result.outcome === 'held'
            ? 'info'
            : 'debug'
      logger[level](
        { source: result.source, kind: result.kind, status: result.status, editionId: result.editionId, outcome: result.outcome },
        `returned mail${result.email ? ` for ${result.email}` : ''}: ${result.kind}: ${result.outcome}`,
      )
      return result
    }
    if (!target) return finish(this.result(report, 'unattributed', null, report.recipient))
    const record = await editions.sendRecord(target.editionId, target.subscriberId)
    if (record?.state !== 'sent') return finish(this.result(report, 'not_sent', target.editionId, report.recipient))
    const subscriber = await subscribers.get(target.subscriberId)
    if (!subscriber) return finish(this.result(report, 'no_subscriber', target.editionId, record.email ?? report.recipient))

    const event = SubscriberHistory.event({
      at: this.now().toISOString(),
      kind: report.kind,
      source: report.source,
      editionId: target.editionId,
      status: report.status,
      diagnostic: report.diagnostic,
      outcome: 'recorded',
    })
    let outcome: EventOutcome = 'recorded'
    if (report.kind === 'hard' || report.kind === 'soft') {
      outcome = await this.judgeBounce(subscriber, record, event)
    } else {
      if (report.kind === 'complaint') {
        const change = await subscribers.unsubscribe(subscriber.id, 'complaint')
        outcome = change.outcome === 'changed' ? 'unsubscribed' : 'recorded'
      }
      await this.options.history.record(subscriber.id, { ...event, outcome })
    }
    return finish({ ...this.fromEvent(event, subscriber.email), outcome })
  }

  /**
   * A bounce of a message that was sent (kept in the subscriber's history here): counted towards its domain's tally,
   * then applied, or held when the domain floods (and then the ones applied before it are taken back).
   */
  private async judgeBounce(subscriber: Subscriber, record: SendRecord, event: SubscriberEvent): Promise<EventOutcome> {
    const { store, config, history } = this.options
    const editionId = event.editionId!
    const email = record.email ?? subscriber.email
    const domain = domainOf(email)
    const recipients = await this.domainRecipients(editionId, domain)
    const bounce: HeldBounce = { subscriberId: subscriber.id, email, event: { ...event, outcome: 'held' } }
    const decision = await store.tally({
      editionId,
      domain,
      recipients,
      share: config.email.bounces.floodShare,
      minimum: config.email.bounces.floodMinimum,
      bounce,
    })
    if (decision !== 'apply') {
      await history.record(subscriber.id, bounce.event)
      await store.hold(editionId, domain, bounce)
      if (decision === 'flood') await this.holdEarlier(editionId, domain, recipients)
      return 'held'
    }
    // Kept before anything changes, so that a flood declared meanwhile finds it and holds it.
    await history.record(subscriber.id, { ...event, outcome: event.kind === 'soft' ? 'counted' : 'recorded' })
    const outcome = await this.applyBounce(subscriber, event)
    await history.setOutcome(subscriber.id, event.id, outcome)
    // Another process may have declared the flood between the tally and now, before this bounce was applied.
    if (await store.isFlooded(editionId, domain)) {
      await this.takeBack(editionId, domain, bounce)
      return 'held'
    }
    return outcome
  }

  /** Applies one bounce to a subscriber: hard → bounced; soft → counted, bounced at the limit. */
  private async applyBounce(subscriber: Subscriber, event: SubscriberEvent): Promise<EventOutcome> {
    const { subscribers, config } = this.options
    if (subscriber.status !== 'active' && subscriber.status !== 'pending') return 'recorded'
    const reason = [event.status, event.diagnostic].filter(Boolean).join(' ')
    if (event.kind === 'hard') {
      return (await subscribers.markBounced(subscriber.id, reason, event.id)).outcome === 'changed' ? 'bounced' : 'recorded'
    }
    const { softLimit, softEditions } = config.email.bounces
    const counted = await this.softBouncedEditions(subscriber.id, event)
    if (counted < softLimit) return 'counted'
    const why = `${counted} soft bounces in the last ${softEditions} editions; last: ${reason}`
    return (await subscribers.markBounced(subscriber.id, why, event.id)).outcome === 'changed' ? 'bounced' : 'counted'
  }

  /** How many of the subscriber's latest `soft_editions` editions soft-bounced (counted, not held or discarded). */
  private async softBouncedEditions(subscriberId: string, current: SubscriberEvent): Promise<number> {
    const { editions, history, config } = this.options
    const window = new Set<string>()
    for (const editionId of await editions.recentIds(SOFT_WINDOW_SCAN)) {
      if (window.size >= config.email.bounces.softEditions) break
      if ((await editions.sendRecord(editionId, subscriberId))?.state === 'sent') window.add(editionId)
    }
    const bounced = new Set<string>()
    for (const event of [current, ...(await history.list(subscriberId))]) {
      const counts = event.id === current.id || event.outcome === 'counted' || event.outcome === 'bounced'
      if (event.kind === 'soft' && counts && event.editionId && window.has(event.editionId)) bounced.add(event.editionId)
    }
    return bounced.size
  }

  /** The domain just flooded: the bounces applied from it before are taken back and held with the rest. */
  private async holdEarlier(editionId: string, domain: string, recipients: number): Promise<void> {
    const earlier = await this.options.store.applied(editionId, domain)
    for (const bounce of earlier) await this.takeBack(editionId, domain, bounce)
    const bounced = (await this.options.store.tallies(editionId))[domain] ?? 0
    this.options.logger.warn(
      { editionId, domain, bounced, recipients },
      `bounces of edition ${editionId} from ${domain} held for review: ${bounced} of ${recipients} recipients there bounced, ` +
        'more like the receiving server than dead addresses; see "herald bounces review"',
    )
  }

  private async takeBack(editionId: string, domain: string, bounce: HeldBounce): Promise<void> {
    await this.options.subscribers.undoBounce(bounce.subscriberId, bounce.event.id)
    await this.options.history.setOutcome(bounce.subscriberId, bounce.event.id, 'held')
    await this.options.store.hold(editionId, domain, { ...bounce, event: { ...bounce.event, outcome: 'held' } })
  }

  /** The first address that is a signed VERP tag of an edition that exists. */
  private async byVerpTag(addresses: readonly string[]): Promise<{ editionId: string; subscriberId: string } | null> {
    const bounceAddress = this.options.config.email.bounceAddress
    if (!bounceAddress) return null
    for (const address of addresses) {
      const parts = verpTagParts(address, bounceAddress)
      if (!parts) continue
      const candidates = await this.options.editions.idsWithPrefix(parts.editionPrefix)
      const found = parseVerpTag(address, bounceAddress, this.options.verpKey, candidates)
      if (found) return found
    }
    return null
  }

  /**
   * Which message a webhook event is about: a VERP tag first (as for mail; for a vouched event, when it names the same
   * subscriber as the event); then, since the service vouched for the event, Herald's Message-ID when it names the same
   * address; then the latest edition sent to that address no later than the event (Postmark's payload names neither).
   */
  private async attribute(report: BounceReport): Promise<{ editionId: string; subscriberId: string } | null> {
    const bounceAddress = this.options.config.email.bounceAddress
    const { addresses, messageIds, texts } = report.references
    const found = bounceAddress ? texts.flatMap((text) => findVerpAddresses(text, bounceAddress)) : []
    const tagged = await this.byVerpTag([...addresses, ...found])
    if (!report.vouched) return tagged
    const recipientId = report.recipient ? idOf(report.recipient) : null
    // One notification may name several recipients of one message; the tag names one subscriber, the service each.
    if (tagged && (recipientId === null || tagged.subscriberId === recipientId)) return tagged
    for (const named of heraldMessageIds([...messageIds, ...texts].join('\n'))) {
      if (recipientId === null || named.subscriberId === recipientId) return named
    }
    if (recipientId === null) return null
    const latest = report.at ? report.at.getTime() + 10 * 60_000 : Number.POSITIVE_INFINITY
    for (const editionId of await this.options.editions.recentIds(SEND_LOOKBACK_EDITIONS)) {
      const record = await this.options.editions.sendRecord(editionId, recipientId)
      if (record?.state === 'sent' && Date.parse(record.at) <= latest) return { editionId, subscriberId: recipientId }
    }
    return null
  }

  /** Recipients the edition was sent to at a domain, counted from its send ledger once (and kept). */
  private async domainRecipients(editionId: string, domain: string): Promise<number> {
    const { store, editions } = this.options
    let counts = await store.domainRecipients(editionId)
    if (!counts) {
      counts = {}
      for await (const batch of editions.sendRecords(editionId)) {
        for (const [, record] of batch) {
          if (record.state === 'sent' && record.email) counts[domainOf(record.email)] = (counts[domainOf(record.email)] ?? 0) + 1
        }
      }
      const edition = await editions.get(editionId)
      // While the edition is still sending the counts grow: look again in a while.
      await store.saveDomainRecipients(editionId, counts, edition?.status === 'done' ? null : 600)
    }
    return counts[domain] ?? 0
  }

  private result(report: BounceReport, outcome: BounceOutcome, editionId: string | null, email: string | null): BounceResult {
    return { outcome, kind: report.kind, source: report.source, status: report.status, diagnostic: report.diagnostic, email, editionId }
  }

  private fromEvent(event: SubscriberEvent, email: string): Omit<BounceResult, 'outcome'> {
    return { kind: event.kind, source: event.source, status: event.status, diagnostic: event.diagnostic, email, editionId: event.editionId }
  }
}

/** The receiving domain of an address, in its ASCII form, lower-cased. */
function domainOf(email: string): string {
  try {
    return normaliseEmail(email).key.split('@')[1]!
  } catch {
    return email.slice(email.lastIndexOf('@') + 1).toLowerCase()
  }
}

function idOf(email: string): string | null {
  try {
    return normaliseEmail(email).id
  } catch {
    return null
  }
}
