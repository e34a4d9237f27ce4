import { describe, expect, it } from 'vitest'
import { subscriberIdFor } from '../../src/mail/address.js'
import { TokenSigner } from '../../src/subscribers/tokens.js'

const SECRET = 'x'.repeat(48)
const id = subscriberIdFor('ann@example.org')

function signer(at: string, secret = SECRET) {
  let now = new Date(at)
  const tokens = new TokenSigner({ secret, confirmTtlDays: 7, now: () => now })
  return {
    tokens,
    setNow: (next: string) => {
      now = new Date(next)
    },
  }
}

describe('TokenSigner', () => {
  it('round-trips both purposes and keeps tokens URL-safe', () => {
    const { tokens } = signer('2030-01-01T00:00:00Z')
    const confirm = tokens.confirmToken(id)
    const unsubscribe = tokens.unsubscribeToken(id)
    expect(confirm).toMatch(/^[A-Za-z0-9._-]+$/)
    expect(unsubscribe).toMatch(/^[A-Za-z0-9._-]+$/)
    expect(tokens.verify('confirm', confirm)).toMatchObject({ ok: true, subscriberId: id })
    expect(tokens.verify('unsubscribe', unsubscribe)).toMatchObject({ ok: true, subscriberId: id })
  })

  it('makes the same unsubscribe token every time (stable across digests and retries)', () => {
    expect(signer('2030-01-01T00:00:00Z').tokens.unsubscribeToken(id)).toBe(signer('2031-06-01T00:00:00Z').tokens.unsubscribeToken(id))
  })

  it('refuses a token used for the other purpose', () => {
    const { tokens } = signer('2030-01-01T00:00:00Z')
    expect(tokens.verify('unsubscribe', tokens.confirmToken(id))).toEqual({ ok: false, reason: 'invalid' })
    expect(tokens.verify('confirm', tokens.unsubscribeToken(id))).toEqual({ ok: false, reason: 'invalid' })
    // Same shape forged by hand: a confirm-style token whose MAC is an unsubscribe MAC.
    const [, mac] = tokens.unsubscribeToken(id).split('.')
    expect(tokens.verify('confirm', `${id}.${Math.floor(Date.now() / 1000).toString(36)}.${mac}`)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses tampered ids, times and MACs, and tokens from another secret', () => {
    const { tokens } = signer('2030-01-01T00:00:00Z')
    const other = subscriberIdFor('bob@example.org')
    const [tokenId, issued, mac] = tokens.confirmToken(id).split('.') as [string, string, string]
    const flip = (text: string) => text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A')
    for (const forged of [
      `${other}.${issued}.${mac}`,
      `${tokenId}.${(parseInt(issued, 36) + 86_400).toString(36)}.${mac}`,
      `${tokenId}.${issued}.${flip(mac)}`,
      `${tokenId}.${issued}.${mac}x`,
      `${tokenId}.${issued}`,
      '',
      'garbage',
      `${tokenId}.${issued}.${mac}.extra`,
      signer('2030-01-01T00:00:00Z', 'y'.repeat(48)).tokens.confirmToken(id),
    ]) {
      expect(tokens.verify('confirm', forged), forged).toEqual({ ok: false, reason: 'invalid' })
    }
    expect(tokens.verify('confirm', 42)).toEqual({ ok: false, reason: 'invalid' })
    expect(tokens.verify('unsubscribe', 'a'.repeat(5000))).toEqual({ ok: false, reason: 'invalid' })
  })

  it('expires confirmation tokens after the TTL, never unsubscribe tokens', () => {
    const { tokens, setNow } = signer('2030-01-01T00:00:00Z')
    const confirm = tokens.confirmToken(id)
    const unsubscribe = tokens.unsubscribeToken(id)
    setNow('2030-01-07T23:59:00Z')
    expect(tokens.verify('confirm', confirm).ok).toBe(true)
    setNow('2030-01-08T00:00:01Z')
    expect(tokens.verify('confirm', confirm)).toEqual({ ok: false, reason: 'expired' })
    setNow('2040-01-01T00:00:00Z')
    expect(tokens.verify('unsubscribe', unsubscribe).ok).toBe(true)
  })

  it('treats a token issued in the future as forged', () => {
    const { tokens, setNow } = signer('2030-01-02T00:00:00Z')
    const confirm = tokens.confirmToken(id)
    setNow('2030-01-01T00:00:00Z')
    expect(tokens.verify('confirm', confirm)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses a short secret', () => {
    expect(() => new TokenSigner({ secret: 'short' })).toThrow(/32 bytes/)
  })
})

describe('links', () => {
  it('builds confirm and unsubscribe URLs under the public URL', async () => {
    const { confirmUrl, unsubscribeUrl } = await import('../../src/subscribers/links.js')
    const { tokens } = signer('2030-01-01T00:00:00Z')
    expect(unsubscribeUrl('https://news.example.org/herald/', tokens, id)).toBe(
      `https://news.example.org/herald/unsubscribe?token=${tokens.unsubscribeToken(id)}`,
    )
    const link = new URL(confirmUrl('https://news.example.org/', tokens, id))
    expect(link.pathname).toBe('/confirm')
    expect(tokens.verify('confirm', link.searchParams.get('token'))).toMatchObject({ ok: true, subscriberId: id })
  })
})
