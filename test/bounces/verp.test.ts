import { describe, expect, it } from 'vitest'
import { findVerpAddresses, MAX_BOUNCE_LOCAL_PART, parseVerpTag, verpAddress, verpKey, verpTagParts } from '../../src/bounces/verp.js'

const key = verpKey('a-secret-of-at-least-thirty-two-bytes-0123456789')
const edition = 'a1b2c3d4e5f60718293a'
const subscriber = '0123456789abcdef0123456789abcdef'
const bounce = 'bounces@blog.example.org'

describe('VERP addresses', () => {
  it('tags the bounce address with edition and subscriber, and verifies it back', () => {
    const address = verpAddress(bounce, edition, subscriber, key)
    expect(address).toMatch(/^bounces\+[a-z2-7]{42}@blog\.example\.org$/)
    expect(parseVerpTag(address, bounce, key, ['a1b2c3d4e5ffffffffff', edition])).toEqual({ editionId: edition, subscriberId: subscriber })
    // Some MTAs change the case of local parts; angle brackets come with envelope addresses.
    expect(parseVerpTag(`<${address.toUpperCase()}>`, bounce, key, [edition])).toEqual({ editionId: edition, subscriberId: subscriber })
  })

  it('stays within the 64 octets RFC 5321 allows a local part, with the longest bounce local part allowed', () => {
    const local = 'x'.repeat(MAX_BOUNCE_LOCAL_PART)
    const address = verpAddress(`${local}@blog.example.org`, edition, subscriber, key)
    expect(address.split('@')[0]!.length).toBe(64)
  })

  it('refuses a tag signed with another key, changed in any character, for another edition or another bounce address', () => {
    const address = verpAddress(bounce, edition, subscriber, key)
    expect(parseVerpTag(address, bounce, verpKey('another-secret-of-at-least-thirty-two-bytes'), [edition])).toBeNull()
    const tag = address.slice('bounces+'.length, address.indexOf('@'))
    for (const index of [0, 9, 20, 33, 34, 41]) {
      const changed = tag.slice(0, index) + (tag[index] === 'a' ? 'b' : 'a') + tag.slice(index + 1)
      expect(parseVerpTag(`bounces+${changed}@blog.example.org`, bounce, key, [edition]), `character ${index}`).toBeNull()
    }
    // The same prefix, another edition: the signature covers the whole id.
    expect(parseVerpTag(address, bounce, key, ['a1b2c3d4e5000000000f'])).toBeNull()
    expect(parseVerpTag(address.replace('bounces+', 'other+'), bounce, key, [edition])).toBeNull()
    expect(parseVerpTag(address.replace('blog.example.org', 'example.org'), bounce, key, [edition])).toBeNull()
    expect(parseVerpTag(bounce, bounce, key, [edition])).toBeNull()
    expect(verpTagParts('bounces+short@blog.example.org', bounce)).toBeNull()
  })

  it('finds tagged addresses anywhere in a message, and nothing that only looks like one', () => {
    const address = verpAddress(bounce, edition, subscriber, key)
    const text = [
      `To: ${address}`,
      `X-Postfix-Sender: rfc822; ${address.toUpperCase()}`,
      `Return-Path: <not${address}>`,
      'Return-Path: <bounces+short@blog.example.org>',
    ].join('\r\n')
    expect(findVerpAddresses(text, bounce)).toEqual([address])
  })
})
