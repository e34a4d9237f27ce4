import { afterEach, describe, expect, it } from 'vitest'
import { notifyHub } from '../../src/feeds/websub.js'
import { startHub } from './support/hub.js'
import { memoryLogger } from './support/xml.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const feeds = ['https://blog.example.org/rss.xml', 'https://blog.example.org/categories/%D0%BA.atom']

describe('notifyHub', () => {
  it('POSTs hub.mode=publish&hub.url=<feed>, form-encoded, once per feed', async () => {
    const hub = await startHub(204)
    cleanups.push(hub.close)
    const { logger, lines } = memoryLogger()
    const result = await notifyHub({ hubUrl: hub.url, feedUrls: feeds, fetch, logger })
    expect(result).toEqual({ notified: feeds, failed: [] })
    expect(hub.requests.map((request) => request.form).sort((a, b) => a['hub.url']!.localeCompare(b['hub.url']!))).toEqual(
      [...feeds].sort().map((url) => ({ 'hub.mode': 'publish', 'hub.url': url })),
    )
    expect(hub.requests.every((request) => request.method === 'POST' && request.contentType === 'application/x-www-form-urlencoded')).toBe(
      true,
    )
    expect(lines().filter((line) => line.level >= 40)).toEqual([])
  })

  it('a hub that answers with an error is logged as a warning, not thrown', async () => {
    const hub = await startHub(500)
    cleanups.push(hub.close)
    const { logger, lines } = memoryLogger()
    const result = await notifyHub({ hubUrl: hub.url, feedUrls: feeds, fetch, logger })
    expect(result.notified).toEqual([])
    expect(result.failed.map((failure) => failure.error)).toEqual([
      'the hub answered 500 Internal Server Error',
      'the hub answered 500 Internal Server Error',
    ])
    expect(lines().filter((line) => line.level === 40)).toHaveLength(2)
  })

  it('a hub that cannot be reached is tried once, then the other feeds are skipped with one warning', async () => {
    const hub = await startHub()
    await hub.close()
    const { logger, lines } = memoryLogger()
    const many = Array.from({ length: 10 }, (_, index) => `https://blog.example.org/${index}.xml`)
    const result = await notifyHub({ hubUrl: hub.url, feedUrls: many, fetch, logger, concurrency: 1 })
    expect(result.notified).toEqual([])
    expect(result.failed).toHaveLength(10)
    expect(result.failed[0]!.error).toMatch(/ECONNREFUSED/)
    expect(result.failed[9]!.error).toMatch(/^not tried/)
    expect(
      lines()
        .filter((line) => line.level === 40)
        .map((line) => line.msg),
    ).toEqual([expect.stringContaining('could not notify'), expect.stringContaining('9 more feed(s) not announced')])
  })

  it('gives up on a request after the timeout', async () => {
    const hub = await startHub(204, 2_000)
    cleanups.push(hub.close)
    const { logger } = memoryLogger()
    const result = await notifyHub({ hubUrl: hub.url, feedUrls: feeds.slice(0, 1), fetch, logger, timeoutMs: 100 })
    expect(result.failed).toEqual([{ url: feeds[0], error: 'no answer within 100 ms' }])
  })
})
