import type { TokenSigner } from './tokens.js'

/** Where `herald serve` is reachable (`config.http.publicUrl`, with a trailing slash). */
type PublicUrl = string

/** The double opt-in link for a subscriber (token issued now, expires after `confirm_ttl_days`). */
export function confirmUrl(publicUrl: PublicUrl, tokens: TokenSigner, subscriberId: string): string {
  return new URL(`confirm?token=${encodeURIComponent(tokens.confirmToken(subscriberId))}`, publicUrl).toString()
}

/** The subscriber's one-click unsubscribe link (for the email body and `List-Unsubscribe`; stable, never expires). */
export function unsubscribeUrl(publicUrl: PublicUrl, tokens: TokenSigner, subscriberId: string): string {
  return new URL(`unsubscribe?token=${encodeURIComponent(tokens.unsubscribeToken(subscriberId))}`, publicUrl).toString()
}

/** The subscriber's preferences page (tags, cadence, unsubscribe; stable, never expires). */
export function preferencesUrl(publicUrl: PublicUrl, tokens: TokenSigner, subscriberId: string): string {
  return new URL(`preferences?token=${encodeURIComponent(tokens.preferencesToken(subscriberId))}`, publicUrl).toString()
}
