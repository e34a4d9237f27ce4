import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config-load.js'
import { parseConfig } from '../src/config-parse.js'
import { makeSite, siteConfig } from './support/site.js'

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

  it('keeps validated settings between commands, never the environment, and notices every change to herald.yml', async () => {
    const site = await makeSite({}, siteConfig('email:\n  attempts: 3'))
    try {
      const cacheFile = path.join(site, '.herald', 'cache', 'config.json')
      const first = await loadConfig(site, { SMTP_URL: 'smtp://user:secret@mail.example.org:587', HERALD_SECRET: 'sesame' })
      expect(first.email.attempts).toBe(3)
      const cached = await readFile(cacheFile, 'utf8')
      expect(cached).not.toMatch(/secret|sesame|mail\.example\.org/)
      const second = await loadConfig(site, {})
      expect(second.email.attempts).toBe(3)
      expect(second.env.smtpUrl).toBeNull()
      await writeFile(path.join(site, 'herald.yml'), siteConfig('email:\n  attempts: 4'))
      expect((await loadConfig(site, {})).email.attempts).toBe(4)
      await writeFile(path.join(site, 'herald.yml'), siteConfig('email:\n  attempts: many'))
      await expect(loadConfig(site, {})).rejects.toThrow(/herald\.yml:\d+: email\.attempts/)
      await writeFile(cacheFile, '{ not json')
      await writeFile(path.join(site, 'herald.yml'), siteConfig('email:\n  attempts: 5'))
      expect((await loadConfig(site, {})).email.attempts).toBe(5)
    } finally {
      await rm(site, { recursive: true, force: true })
    }
  })

  it('reads when daily and weekly editions go out, and names the key and line of a time it cannot read', () => {
    const config = parseConfig(siteConfig('email:\n  daily_at: "6:30"\n  weekly_on: "Friday 17:00"'), '/tmp', {})
    expect(config.email.dailyAt).toEqual({ hour: 6, minute: 30 })
    expect(config.email.weeklyOn).toEqual({ weekday: 5, hour: 17, minute: 0 })
    expect(parseConfig(siteConfig(), '/tmp', {}).email.weeklyOn).toEqual({ weekday: 1, hour: 8, minute: 0 })
    expect(() => parseConfig(siteConfig('email:\n  daily_at: "25:00"'), '/tmp', {})).toThrow(
      /herald\.yml:\d+: email\.daily_at: expected a time/,
    )
    expect(() => parseConfig(siteConfig('email:\n  weekly_on: "Someday"'), '/tmp', {})).toThrow(/email\.weekly_on: expected a day/)
  })
})
