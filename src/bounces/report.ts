import type { EventKind, EventSource } from '../subscribers/history.js'

/**
 * One recipient's returned-mail event, as every way in hands it over: a classified DSN or ARF report, or one event of
 * a sending service's webhook. What it is about is not settled yet: `references` say how to find the message Herald
 * sent, and the application checks that against the send ledger before anything changes.
 */
export interface BounceReport {
  readonly source: EventSource
  readonly kind: EventKind
  /** RFC 3463 status (`5.1.1`) when known. */
  readonly status: string | null
  /** The receiving server's or the provider's words. */
  readonly diagnostic: string
  /** The address the report names (a provider's recipient, a DSN's Final-Recipient), lower-cased, or null. */
  readonly recipient: string | null
  /** When it happened by the report's own clock, or null. */
  readonly at: Date | null
  /** What ties it to one message Herald sent. */
  readonly references: BounceReferences
  /**
   * Whether a sending service vouched for it (a webhook whose signature or credentials checked out). Only then may
   * Herald's Message-ID or the send time name the message; unauthenticated mail needs a signed VERP tag.
   */
  readonly vouched: boolean
  /** The provider's id of this event (retries reuse it), or null. */
  readonly eventId: string | null
}

/** Where the message a report is about may be named. */
export interface BounceReferences {
  /** Envelope and header addresses that may be Herald's tagged bounce address (VERP). */
  readonly addresses: readonly string[]
  /** Message-IDs of the original message (`<id@host>`). */
  readonly messageIds: readonly string[]
  /** Free text to search for either (a provider's copy of the bounce). */
  readonly texts: readonly string[]
}

/** Herald's Message-IDs are `<edition id>.<subscriber id>@<From domain>` (digest/compose.ts); these find them in text. */
const HERALD_MESSAGE_ID = /<?([0-9a-f]{20})\.([0-9a-f]{32})@[^\s<>"]+>?/gi

/** Every (edition, subscriber) pair named by a Herald Message-ID in `text`, in order of appearance. */
export function heraldMessageIds(text: string): Array<{ editionId: string; subscriberId: string }> {
  const seen = new Set<string>()
  const found: Array<{ editionId: string; subscriberId: string }> = []
  for (const match of text.matchAll(HERALD_MESSAGE_ID)) {
    const editionId = match[1]!.toLowerCase()
    const subscriberId = match[2]!.toLowerCase()
    if (seen.has(`${editionId}.${subscriberId}`)) continue
    seen.add(`${editionId}.${subscriberId}`)
    found.push({ editionId, subscriberId })
  }
  return found
}

/** A date from a provider's field (ISO text, or Unix seconds as a number or numeric text), or null. */
export function dateFrom(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000)
  if (typeof value !== 'string' || value.trim() === '') return null
  const date = /^\d+(?:\.\d+)?$/.test(value.trim()) ? new Date(Number(value) * 1000) : new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

/** A string field of a parsed JSON object, or null. */
export function stringField(record: unknown, name: string): string | null {
  if (!record || typeof record !== 'object') return null
  const value = (record as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null
}

/** An object field of a parsed JSON object, or an empty object. */
export function objectField(record: unknown, name: string): Record<string, unknown> {
  if (!record || typeof record !== 'object') return {}
  const value = (record as Record<string, unknown>)[name]
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}
