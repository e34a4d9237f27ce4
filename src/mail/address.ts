import { createHash } from 'node:crypto'
import { domainToASCII, domainToUnicode } from 'node:url'
import { HeraldError } from '../errors.js'

/** RFC 5321 limits: 64 octets of local part, 254 for the whole forward-path address. */
const MAX_LOCAL = 64
const MAX_ADDRESS = 254

/**
 * Unquoted local part (RFC 5322 dot-atom), Unicode letters allowed for SMTPUTF8 mailboxes.
 * Quoted local parts and IP-literal domains are refused: nobody subscribes with them, and they are where
 * header-injection and parser-confusion tricks live.
 */
const LOCAL_ATOM = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+$/u
const DOMAIN_LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u

/** A validated, normalised email address and the subscriber id derived from it. */
export interface NormalisedAddress {
  /** As stored and shown: trimmed, NFC, local part's case kept, domain in its Unicode form, lower-cased. */
  readonly email: string
  /** For the SMTP envelope: the same with the domain in its ASCII (punycode) form. */
  readonly ascii: string
  /**
   * Identity: the local part lower-cased and the domain's ASCII form. `Ann@X.org` and `ann@x.org` are one subscriber,
   * and so are `user@пример.испытание` and `user@xn--e1afmkfd.xn--80akhbyknj4f` (IDNA: one domain, two spellings).
   */
  readonly key: string
  /** {@link subscriberIdFor} of `key`. */
  readonly id: string
}

/**
 * Trims, validates and normalises an email address. Throws `HeraldError('SUBSCRIBER_INVALID')` with a
 * readable reason; never lets a CR, LF or other control character through, so the result is safe in a
 * mail header.
 */
export function normaliseEmail(input: string): NormalisedAddress {
  const reason = problemWith(input)
  if (reason) throw new HeraldError('SUBSCRIBER_INVALID', reason, { field: 'email' })
  const trimmed = input.trim().normalize('NFC')
  const at = trimmed.lastIndexOf('@')
  const local = trimmed.slice(0, at)
  const { ascii, unicode } = domainForms(trimmed.slice(at + 1))!
  const key = `${local.toLowerCase()}@${ascii}`
  return { email: `${local}@${unicode}`, ascii: `${local}@${ascii}`, key, id: subscriberIdFor(key) }
}

/**
 * The two spellings of a domain (UTS #46 through Node's URL parser): ASCII for identity and the envelope, Unicode for
 * people. Null when the domain has no valid ASCII form. A Unicode form that does not map back is not offered.
 */
function domainForms(domain: string): { ascii: string; unicode: string } | null {
  const ascii = domainToASCII(domain)
  if (!ascii) return null
  const unicode = domainToUnicode(ascii)
  return { ascii, unicode: unicode && domainToASCII(unicode) === ascii ? unicode : ascii }
}

/** Whether `input` is an address Herald accepts (see {@link normaliseEmail}). */
export function isValidEmail(input: string): boolean {
  return problemWith(input) === null
}

function problemWith(input: string): string | null {
  if (typeof input !== 'string') return 'expected an email address'
  // Control characters anywhere (not only at the ends) are refused before trimming: CR/LF is header injection.
  if (/[\u0000-\u001f\u007f]/.test(input)) return 'an email address may not contain line breaks or control characters'
  const address = input.trim().normalize('NFC')
  if (address === '') return 'expected an email address, got an empty string'
  if (Buffer.byteLength(address, 'utf8') > MAX_ADDRESS) return `an email address may be at most ${MAX_ADDRESS} bytes long`
  const at = address.lastIndexOf('@')
  if (at <= 0 || at === address.length - 1) return 'expected an address such as name@example.org'
  const local = address.slice(0, at)
  const domain = address.slice(at + 1)
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL) return `the part before "@" may be at most ${MAX_LOCAL} bytes long`
  if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom))) {
    return 'the part before "@" may contain letters, digits and !#$%&\'*+/=?^_`{|}~- separated by single dots'
  }
  const labels = domain.split('.')
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return 'expected a domain such as example.org after "@"'
  const forms = domainForms(domain)
  if (!forms || forms.ascii.length > 253 || !forms.ascii.split('.').every((label) => /^[a-z0-9_-]{1,63}$/.test(label))) {
    return 'expected a domain such as example.org after "@"'
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'expected a domain name, not an IP address, after "@"'
  return null
}

/**
 * Stable subscriber id for an address key: 32 hex characters of SHA-256. Safe in Redis keys, URLs and
 * BullMQ job ids (no `:`), and the same on every machine, so the id is its own email→id index.
 */
export function subscriberIdFor(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)
}

/** Whether a string has the shape of a subscriber id (tokens and job ids are checked with it). */
export function isSubscriberId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value)
}
