import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config.js'
import { siteConfig } from './support/site.js'

describe('herald.yml', () => {
  it('refuses a YAML alias bomb ("billion laughs") with a message instead of running out of memory', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'site: *f',
    ].join('\n')
    expect(() => parseConfig(bomb, '/tmp', {})).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('write the values out instead of using aliases'),
      }),
    )
  })

  it('chooses how mail leaves only when told: SMTP_URL, SMTP_URL=outbox:, email.transport', () => {
    expect(parseConfig(siteConfig(), '/tmp', {}).email.transport).toBeNull()
    expect(parseConfig(siteConfig(), '/tmp', { SMTP_URL: 'outbox:' }).email.transport).toBe('outbox')
    expect(parseConfig(siteConfig(), '/tmp', { SMTP_URL: 'smtp://127.0.0.1:25' }).email.transport).toBe('smtp')
    expect(parseConfig(siteConfig('email:\n  transport: outbox'), '/tmp', {}).email.transport).toBe('outbox')
    expect(() => parseConfig(siteConfig('email:\n  transport: carrier-pigeon'), '/tmp', {})).toThrow(
      /email.transport: expected smtp or outbox/,
    )
  })

  it('reads email.from with an address parser and refuses what is not one mailbox', () => {
    expect(parseConfig(siteConfig('email:\n  from: \'"Blog, Inc." <news@blog.example.org>\''), '/tmp', {}).email.from).toBe(
      '"Blog, Inc." <news@blog.example.org>',
    )
    expect(() => parseConfig(siteConfig('email:\n  from: "a@b.org, c@d.org"'), '/tmp', {})).toThrow(/email.from: expected one address/)
    expect(() => parseConfig(siteConfig('email:\n  from: "no address here"'), '/tmp', {})).toThrow(/email.from: expected one address/)
  })
})
