import { createHmac, timingSafeEqual } from 'node:crypto'
import { isSubscriberId } from '../mail/address.js'

/**
 * What a token allows. A token made for one purpose never verifies for another. `preferences` is its own purpose, not
 * the unsubscribe token: that one travels in `List-Unsubscribe` to mail providers, and must only ever unsubscribe.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences'

/** Outcome of {@link TokenSigner.verify}. `expired` is only reported for a genuine token (its MAC checked out). */
export type TokenCheck =
  | { readonly ok: true; readonly subscriberId: string; readonly issuedAt: Date | null }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' }

/** Options for {@link TokenSigner}. */
export interface TokenSignerOptions {
  /** `HERALD_SECRET` (at least 32 bytes; see `resolveSecret`). */
  readonly secret: string | Buffer
  /** How long a confirmation link works. Default 7 days (`confirm_ttl_days`). */
  readonly confirmTtlDays?: number
  /** Clock. Default: the real one. */
  readonly now?: () => Date
}

const MAX_TOKEN_LENGTH = 200
/** Tokens issued "in the future" by more than this are forged or from a machine with a broken clock. */
const CLOCK_SKEW_SECONDS = 300

/**
 * HMAC-SHA256 link tokens bound to a purpose and a subscriber id.
 *
 * - confirm: `<id>.<issued, base36 seconds>.<mac>`, expires after `confirmTtlDays`;
 * - unsubscribe: `<id>.<mac>`, never expires, and is the same for every email to one subscriber;
 * - preferences: `<id>.<mac>` the same way, with its own MAC (reads and changes tags and cadence).
 *
 * The MAC covers a version, the purpose, the id and the issue time, with a key derived from the secret
 * for this use only. Comparison is constant-time.
 */
export class TokenSigner {
  private readonly key: Buffer
  private readonly ttlSeconds: number
  private readonly now: () => Date

  constructor(options: TokenSignerOptions) {
    if (!options?.secret || Buffer.byteLength(options.secret) < 32) throw new TypeError('TokenSigner needs a secret of at least 32 bytes')
    // A derived key keeps link tokens independent of any other use of HERALD_SECRET.
    this.key = createHmac('sha256', options.secret).update('herald link tokens v1').digest()
    this.ttlSeconds = (options.confirmTtlDays ?? 7) * 86_400
    this.now = options.now ?? (() => new Date())
  }

  /** A confirmation token issued now (expires after the TTL). */
  confirmToken(subscriberId: string): string {
    const issued = Math.floor(this.now().getTime() / 1000).toString(36)
    return `${subscriberId}.${issued}.${this.mac('confirm', subscriberId, issued)}`
  }

  /** The subscriber's unsubscribe token (deterministic, never expires). */
  unsubscribeToken(subscriberId: string): string {
    return `${subscriberId}.${this.mac('unsubscribe', subscriberId, '')}`
  }

  /** The subscriber's preferences token (deterministic, never expires, like the unsubscribe token). */
  preferencesToken(subscriberId: string): string {
    return `${subscriberId}.${this.mac('preferences', subscriberId, '')}`
  }

  /** Checks a token for a purpose. Never throws on bad input. */
  verify(purpose: TokenPurpose, token: unknown): TokenCheck {
    const invalid = { ok: false, reason: 'invalid' } as const
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return invalid
    const parts = token.split('.')
    const [id, issued, mac] = purpose === 'confirm' ? parts : [parts[0], '', parts[1]]
    if (parts.length !== (purpose === 'confirm' ? 3 : 2) || !id || !isSubscriberId(id) || mac === undefined) return invalid
    if (purpose === 'confirm' && !/^[0-9a-z]{1,10}$/.test(issued ?? '')) return invalid
    const expected = Buffer.from(this.mac(purpose, id, issued ?? ''), 'utf8')
    const given = Buffer.from(mac, 'utf8')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid
    if (purpose !== 'confirm') return { ok: true, subscriberId: id, issuedAt: null }
    const issuedSeconds = parseInt(issued!, 36)
    const nowSeconds = this.now().getTime() / 1000
    if (issuedSeconds > nowSeconds + CLOCK_SKEW_SECONDS) return invalid
    if (nowSeconds - issuedSeconds > this.ttlSeconds) return { ok: false, reason: 'expired' }
    return { ok: true, subscriberId: id, issuedAt: new Date(issuedSeconds * 1000) }
  }

  private mac(purpose: TokenPurpose, id: string, issued: string): string {
    return createHmac('sha256', this.key).update(`v1\n${purpose}\n${id}\n${issued}`).digest('base64url')
  }
}
