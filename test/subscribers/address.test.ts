import { describe, expect, it } from 'vitest'
import { isValidEmail, normaliseEmail, subscriberIdFor } from '../../src/mail/address.js'
import { normaliseTags } from '../../src/subscribers/tags.js'

describe('normaliseEmail', () => {
  it('trims, lower-cases the domain and keeps the local part as typed', () => {
    const address = normaliseEmail('  Ann.Lee@Example.ORG ')
    expect(address.email).toBe('Ann.Lee@example.org')
    expect(address.key).toBe('ann.lee@example.org')
  })

  it('gives the same id to the same address in any case, and ids have no ":"', () => {
    const a = normaliseEmail('Ann@Example.org')
    const b = normaliseEmail('ann@example.ORG')
    expect(a.id).toBe(b.id)
    expect(a.id).toMatch(/^[0-9a-f]{32}$/)
    expect(subscriberIdFor('ann@example.org')).toBe(a.id)
  })

  it.each([
    ['', 'empty'],
    ['ann', 'no @'],
    ['ann@', 'no domain'],
    ['@example.org', 'no local part'],
    ['ann@example', 'no dot in domain'],
    ['ann@@example.org', 'two @'],
    ['a..b@example.org', 'double dot'],
    ['.ann@example.org', 'leading dot'],
    ['ann lee@example.org', 'space'],
    ['"ann"@example.org', 'quoted'],
    ['ann@[127.0.0.1]', 'IP literal'],
    ['ann@1.2.3.4', 'IP'],
    ['ann@-x.org', 'label starting with -'],
    ['ann@example.org\r\nBcc: victim@example.org', 'CRLF injection'],
    ['ann@example.org\n', 'trailing LF'],
    ['ann\u0000@example.org', 'NUL'],
    ['ann<x>@example.org', 'angle brackets'],
    [`${'a'.repeat(65)}@example.org`, 'local part too long'],
    [`ann@${'a'.repeat(250)}.org`, 'too long'],
  ])('refuses %j (%s)', (input) => {
    expect(isValidEmail(input)).toBe(false)
    expect(() => normaliseEmail(input)).toThrow(expect.objectContaining({ code: 'SUBSCRIBER_INVALID' }))
  })

  it('treats the Unicode and the punycode spelling of a domain as one mailbox (IDNA), keeping the local part as written', () => {
    const unicode = normaliseEmail('User@Пример.Испытание')
    const punycode = normaliseEmail('user@xn--e1afmkfd.xn--80akhbyknj4f')
    expect(unicode.id).toBe(punycode.id)
    expect(unicode.email).toBe('User@пример.испытание')
    expect(punycode.email).toBe('user@пример.испытание')
    expect(unicode.ascii).toBe('User@xn--e1afmkfd.xn--80akhbyknj4f')
    expect(normaliseEmail('a@bücher.example').key).toBe('a@xn--bcher-kva.example')
    expect(isValidEmail('a@xn--zz.example')).toBe(false)
  })

  it('accepts plus addressing and Unicode mailboxes', () => {
    expect(normaliseEmail('ann+blog@example.org').email).toBe('ann+blog@example.org')
    expect(normaliseEmail('анна@пример.рф').email).toBe('анна@пример.рф')
    expect(normaliseEmail("o'brien@example.co.uk").email).toBe("o'brien@example.co.uk")
  })
})

describe('normaliseTags', () => {
  it('trims, drops empties and de-duplicates case-insensitively, keeping the first spelling', () => {
    expect(normaliseTags([' Fedora ', 'fedora', '', 'cloud'])).toEqual(['Fedora', 'cloud'])
  })

  it('refuses separators and line breaks', () => {
    expect(() => normaliseTags(['a,b'])).toThrow(/may not contain/)
    expect(() => normaliseTags(['a;b'])).toThrow(/may not contain/)
    expect(() => normaliseTags(['a\nb'])).toThrow(/line breaks/)
  })
})
