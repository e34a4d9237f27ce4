import { createHmac, timingSafeEqual } from 'node:crypto'
import { domainToASCII } from 'node:url'

/**
 * VERP (variable envelope return path): every digest goes out with its own envelope sender,
 * `<local>+<tag>@<domain>` for `email.bounce_address` `<local>@<domain>`, so whatever comes back to that address says
 * which edition and which subscriber it is about, even when the report itself is not standard (old Gmail, Exim text).
 *
 * The tag is 42 characters of lower-case base32 (`[a-z2-7]`, safe when an MTA lower-cases local parts): the first 40
 * bits of the edition id, the whole subscriber id (128 bits) and a 40-bit HMAC over both full ids with a key derived
 * from `HERALD_SECRET`. A forged bounce cannot name a subscriber without the key; 40 bits is far more than the 24 bits
 * SRS and BATV settle for, and a forger gets one guess per message sent. The edition is shortened so the local part
 * stays under RFC 5321's 64 octets with room for the bounce address's own local part (up to
 * {@link MAX_BOUNCE_LOCAL_PART} characters); the full id is found among the site's editions by its prefix.
 */

/** Longest local part of `email.bounce_address`: with `+` and the 42-character tag it makes RFC 5321's 64. */
export const MAX_BOUNCE_LOCAL_PART = 21
const TAG_LENGTH = 42
const EDITION_PREFIX_HEX = 10
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/** The key that signs VERP tags, derived from `HERALD_SECRET` for this use only. */
export function verpKey(secret: string | Buffer): Buffer {
  return createHmac('sha256', secret).update('herald verp tags v1').digest()
}

/** `bounces+<tag>@blog.example.org`: the envelope sender of one edition's message to one subscriber. */
export function verpAddress(bounceAddress: string, editionId: string, subscriberId: string, key: Buffer): string {
  const { local, domain } = splitAddress(bounceAddress)
  if (!/^[0-9a-f]{20,}$/.test(editionId) || !/^[0-9a-f]{32}$/.test(subscriberId)) {
    throw new TypeError(`not an edition and a subscriber id: ${JSON.stringify([editionId, subscriberId])}`)
  }
  const tag =
    base32(Buffer.from(editionId.slice(0, EDITION_PREFIX_HEX), 'hex')) +
    base32(Buffer.from(subscriberId, 'hex')) +
    mac(key, editionId, subscriberId)
  return `${local}+${tag}@${domain}`
}

/** What a VERP address holds before its signature is checked: where to look for the edition, and the subscriber. */
export interface VerpTagParts {
  /** The first 10 hex digits of the edition id. */
  readonly editionPrefix: string
  readonly subscriberId: string
  readonly mac: string
}

/** The parts of a tagged bounce address, or null when `address` is not `<bounce local>+<tag>@<bounce domain>`. */
export function verpTagParts(address: string, bounceAddress: string): VerpTagParts | null {
  const bounce = splitAddress(bounceAddress)
  const candidate = address.trim().replace(/^<|>$/g, '').toLowerCase()
  const at = candidate.lastIndexOf('@')
  if (at < 0 || !sameDomain(candidate.slice(at + 1), bounce.domain)) return null
  const local = candidate.slice(0, at)
  const plus = local.lastIndexOf('+')
  if (plus < 0 || local.slice(0, plus) !== bounce.local.toLowerCase()) return null
  const tag = local.slice(plus + 1)
  if (tag.length !== TAG_LENGTH || ![...tag].every((char) => ALPHABET.includes(char))) return null
  const edition = fromBase32(tag.slice(0, 8))
  const subscriber = fromBase32(tag.slice(8, 34))
  // 26 characters carry 130 bits: the two past the id must be zero, or this is not a tag we made.
  if (subscriber.length !== 17 || subscriber[16] !== 0) return null
  return {
    editionPrefix: edition.toString('hex'),
    subscriberId: subscriber.subarray(0, 16).toString('hex'),
    mac: tag.slice(34),
  }
}

/**
 * Verifies a tagged bounce address: the edition is the one of `editionIds` (the site's editions starting with the tag's
 * prefix) whose signature matches. Null when the address is not tagged, or no edition's signature matches.
 */
export function parseVerpTag(
  address: string,
  bounceAddress: string,
  key: Buffer,
  editionIds: readonly string[],
): { editionId: string; subscriberId: string } | null {
  const parts = verpTagParts(address, bounceAddress)
  if (!parts) return null
  const given = Buffer.from(parts.mac)
  for (const editionId of editionIds) {
    if (!editionId.startsWith(parts.editionPrefix)) continue
    const expected = Buffer.from(mac(key, editionId, parts.subscriberId))
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { editionId, subscriberId: parts.subscriberId }
  }
  return null
}

/** Every distinct tagged bounce address written in `text` (headers, a report, a provider's dump), in order of appearance. */
export function findVerpAddresses(text: string, bounceAddress: string): string[] {
  const { local, domain } = splitAddress(bounceAddress)
  const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`(?<![\\w.+-])${escapeRegExp(local)}\\+[a-z2-7]{${TAG_LENGTH}}@${escapeRegExp(domain)}(?![\\w-])`, 'gi')
  return [...new Set([...text.matchAll(pattern)].map((match) => match[0].toLowerCase()))]
}

/** The local part and domain of a plain address. */
export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@')
  if (at <= 0) throw new TypeError(`not an address: ${JSON.stringify(address)}`)
  return { local: address.slice(0, at), domain: address.slice(at + 1) }
}

function sameDomain(a: string, b: string): boolean {
  return (domainToASCII(a) || a).toLowerCase() === (domainToASCII(b) || b).toLowerCase()
}

function mac(key: Buffer, editionId: string, subscriberId: string): string {
  return base32(createHmac('sha256', key).update(`v1\n${editionId}\n${subscriberId}`).digest().subarray(0, 5))
}

/** RFC 4648 base32, lower case, without padding. */
function base32(bytes: Buffer): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** Decodes {@link base32}; trailing bits that do not fill a byte go into one more (zero-checked by the caller). */
function fromBase32(text: string): Buffer {
  const bytes: number[] = []
  let bits = 0
  let value = 0
  for (const char of text) {
    value = ((value << 5) | ALPHABET.indexOf(char)) & 0xffff
    bits += 5
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  if (bits > 0) bytes.push((value << (8 - bits)) & 255)
  return Buffer.from(bytes)
}
