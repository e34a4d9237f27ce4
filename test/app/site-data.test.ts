import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openServices } from '../../src/app/services.js'
import { parseConfig } from '../../src/config-parse.js'
import { siteKeys } from '../../src/infra/keys.js'
import { silentLogger } from '../../src/log.js'
import { normaliseEmail } from '../../src/mail/address.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, siteConfig } from '../support/site.js'

let redis: TestRedis
beforeEach(async () => {
  redis = await useTestRedis('site')
})
afterEach(() => redis.cleanup())

const env = () => ({ HERALD_PREFIX: redis.prefix, REDIS_URL: redis.url, HERALD_SECRET: 's'.repeat(48) })

async function open(url: string) {
  const site = await makeSite({}, siteConfig('', { url }))
  const config = parseConfig(siteConfig('', { url }), site, env())
  return openServices({ config, logger: silentLogger() })
}

/** The id Herald 0.1 gave an address: a hash of the whole address lower-cased, as written. */
const legacyId = (email: string) => createHash('sha256').update(email.toLowerCase(), 'utf8').digest('hex').slice(0, 32)

describe('each site owns the data under its prefix', () => {
  it('refuses a second site on the same prefix, with a message that says to set HERALD_PREFIX', async () => {
    const first = await open('https://first.example.org/')
    await first.subscriptions.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    await first.close()

    await expect(open('https://second.example.org/')).rejects.toMatchObject({ code: 'SITE_CONFLICT' })
    const site = await makeSite({}, siteConfig('', { url: 'https://second.example.org/' }))
    const status = await runHerald(['status', '--site', site], env(), site)
    expect(status.code).toBe(2)
    expect(status.stderr).toContain('holds the subscribers and ledgers of https://first.example.org/')
    expect(status.stderr).toContain('HERALD_PREFIX=herald-second.example.org')
    // The first site is untouched and still opens.
    const again = await open('https://first.example.org/')
    expect((await again.subscribers.counts()).active).toBe(1)
    await again.close()
  })
})

describe('data written by Herald 0.1 (no site record, ids from the address as written)', () => {
  it('is adopted by the site that opens it, and one mailbox spelled two ways becomes one subscriber', async () => {
    const keys = siteKeys(redis.prefix)
    const unicode = 'user@пример.испытание'
    const punycode = 'user@xn--e1afmkfd.xn--80akhbyknj4f'
    const write = async (email: string, status: string, extra: Record<string, string> = {}) => {
      const id = legacyId(email)
      await redis.redis.hset(keys.subscriber(id), { email, status, tags: '[]', createdAt: '2024-01-01T00:00:00.000Z', ...extra })
      await redis.redis.zadd(keys.subscribersInStatus(status), 0, id)
      return id
    }
    await write(unicode, 'active', { consentAt: '2024-01-01T00:00:00.000Z', consentSource: 'form' })
    await write(punycode, 'active', { consentAt: '2024-02-01T00:00:00.000Z', consentSource: 'import' })
    await write('Other@Пример.Испытание', 'unsubscribed')
    await write('plain@example.org', 'active')
    expect(legacyId(unicode)).not.toBe(legacyId(punycode))

    const services = await open('https://blog.example.org/')
    try {
      expect(await services.subscribers.counts()).toMatchObject({ active: 2, unsubscribed: 1, total: 3 })
      const merged = await services.subscribers.getByEmail(punycode)
      expect(merged).toMatchObject({ email: unicode, status: 'active', consent: { source: 'form', at: '2024-01-01T00:00:00.000Z' } })
      expect((await services.subscribers.getByEmail(unicode))?.id).toBe(normaliseEmail(punycode).id)
      expect(await services.subscribers.getByEmail('other@xn--e1afmkfd.xn--80akhbyknj4f')).toMatchObject({ status: 'unsubscribed' })
      // An ASCII address keeps its id: nothing to move.
      expect((await services.subscribers.getByEmail('plain@example.org'))?.id).toBe(legacyId('plain@example.org'))
      expect(await redis.redis.hgetall(keys.site())).toMatchObject({ url: 'https://blog.example.org/', schema: '2' })
    } finally {
      await services.close()
    }
    // Subscribing the other spelling later changes nothing either: it is the same subscriber.
    const later = await open('https://blog.example.org/')
    const result = await later.subscriptions.subscribe({ email: punycode, consent: { source: 'form' } })
    expect(result.outcome).toBe('active')
    expect((await later.subscribers.counts()).total).toBe(3)
    await later.close()
  })
})
