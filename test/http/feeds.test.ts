import { rename, utimes, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { Redis } from 'ioredis'
import { Gauge } from 'prom-client'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createMetricsRegistry } from '../../src/app/metrics.js'
import { acceptsGzip } from '../../src/http/feeds.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'
import { FEEDS, startService, type TestService } from './support.js'

let sink: SmtpSink
let service: TestService
beforeAll(async () => {
  sink = await startSmtpSink()
})
afterAll(() => sink.close())
beforeEach(async () => {
  service = await startService({ sink })
})
afterEach(() => service.close())

const url = (target: string) => new URL(target, service.url).toString()

/** A raw GET (fetch would transparently gunzip and hide Content-Encoding). */
function rawGet(
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url(target), { headers }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('feeds', () => {
  it.each([
    ['rss.xml', 'application/rss+xml; charset=utf-8', FEEDS['public/rss.xml']],
    ['feed.atom', 'application/atom+xml; charset=utf-8', FEEDS['public/feed.atom']],
    ['feed.json', 'application/feed+json; charset=utf-8', FEEDS['public/feed.json']],
    ['categories/fedora.xml', 'application/rss+xml; charset=utf-8', FEEDS['public/categories/fedora.xml']],
  ])('serves %s as %s with a strong ETag and Last-Modified', async (file, type, body) => {
    const response = await rawGet(file)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe(type)
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    expect(new Date(String(response.headers['last-modified'])).getTime()).toBeGreaterThan(0)
    expect(response.headers.vary).toBe('Accept-Encoding')
    expect(response.body.toString('utf8')).toBe(body)
  })

  it('answers 304 to If-None-Match and If-Modified-Since, 200 when the feed changed', async () => {
    const first = await rawGet('rss.xml')
    const etag = String(first.headers.etag)
    const lastModified = String(first.headers['last-modified'])
    const byEtag = await rawGet('rss.xml', { 'if-none-match': etag })
    expect(byEtag.status).toBe(304)
    expect(byEtag.body.length).toBe(0)
    expect(byEtag.headers.etag).toBe(etag)
    expect((await rawGet('rss.xml', { 'if-none-match': `"other", W/${etag}` })).status).toBe(304)
    expect((await rawGet('rss.xml', { 'if-modified-since': lastModified })).status).toBe(304)
    // If-None-Match wins over If-Modified-Since.
    expect((await rawGet('rss.xml', { 'if-none-match': '"stale"', 'if-modified-since': lastModified })).status).toBe(200)
    expect((await rawGet('rss.xml', { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200)

    // Replace the feed the way the feed writer does (temp file + rename), with a later mtime.
    const file = path.join(service.config.outputDir, 'rss.xml')
    await writeFile(`${file}.tmp`, FEEDS['public/rss.xml'].replace('Test', 'Changed'))
    const later = new Date(Date.now() + 5000)
    await utimes(`${file}.tmp`, later, later)
    await rename(`${file}.tmp`, file)
    const changed = await rawGet('rss.xml', { 'if-none-match': etag, 'if-modified-since': lastModified })
    expect(changed.status).toBe(200)
    expect(changed.headers.etag).not.toBe(etag)
    expect(changed.body.toString('utf8')).toContain('Changed')
  })

  it('gzips when asked, with its own strong ETag, and revalidates it', async () => {
    const plain = await rawGet('feed.json')
    const zipped = await rawGet('feed.json', { 'accept-encoding': 'gzip, deflate, br' })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(zipped.body).toString('utf8')).toBe(FEEDS['public/feed.json'])
    expect(zipped.headers.etag).not.toBe(plain.headers.etag)
    expect((await rawGet('feed.json', { 'accept-encoding': 'gzip', 'if-none-match': String(zipped.headers.etag) })).status).toBe(304)
    expect((await rawGet('feed.json', { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined()
  })

  it('serves nothing but feeds inside the output folder', async () => {
    for (const target of [
      'notes.txt',
      '.hidden.xml',
      '..%2Fsecret.xml',
      '%2e%2e/secret.xml',
      'categories/../../secret.xml',
      'missing.xml',
      'categories/',
      'rss.xml%00.txt',
    ]) {
      const response = await rawGet(target)
      expect(response.status, target).toBe(404)
      expect(response.body.toString('utf8')).not.toContain('<outside/>')
    }
  })

  it('answers HEAD like GET without a body', async () => {
    const response = await fetch(url('feed.atom'), { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toMatch(/^"/)
    expect(await response.text()).toBe('')
  })

  it('parses Accept-Encoding', () => {
    expect(acceptsGzip(undefined)).toBe(false)
    expect(acceptsGzip('br')).toBe(false)
    expect(acceptsGzip('*')).toBe(true)
    expect(acceptsGzip('gzip;q=0, *')).toBe(false)
    expect(acceptsGzip('identity, GZIP;q=0.5')).toBe(true)
  })
})

describe('health and metrics', () => {
  it('reports Redis health', async () => {
    const response = await fetch(url('healthz'))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok', redis: 'ok' })
  })

  it('answers 503 when Redis does not', async () => {
    const { createServer } = await import('../../src/http/server.js')
    const { silentLogger } = await import('../../src/log.js')
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    dead.on('error', () => {})
    const app = await createServer({ config: service.config, subscriptions: service.subscriptions, redis: dead, logger: silentLogger() })
    try {
      const response = await app.inject({ method: 'GET', url: '/healthz' })
      expect(response.statusCode).toBe(503)
    } finally {
      await app.close()
      dead.disconnect()
    }
  })

  it('exposes subscribers by status in Prometheus text, and takes more metrics', async () => {
    await service.store.subscribe({ email: 'a@example.org', confirmed: true, consent: { source: 'cli' } })
    await service.store.subscribe({ email: 'b@example.org', confirmed: true, consent: { source: 'cli' } })
    await service.store.subscribe({ email: 'c@example.org', consent: { source: 'cli' } })
    await fetch(url('subscribe'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=bad' })
    const response = await fetch(url('metrics'))
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await response.text()
    expect(text).toContain('# TYPE herald_subscribers gauge')
    expect(text).toContain('herald_subscribers{status="active"} 2\n')
    expect(text).toContain('herald_subscribers{status="pending"} 1\n')
    expect(text).toContain('herald_subscribers{status="bounced"} 0\n')
    expect(text).toContain('herald_subscribe_requests_total{result="invalid"} 1\n')

    // The registry is prom-client's: other modules add their own metrics, and a second metric of the same name is refused.
    const registry = createMetricsRegistry()
    new Gauge({ name: 'herald_queue_waiting', help: 'Jobs waiting.', registers: [registry] }).set(7)
    expect(() => new Gauge({ name: 'herald_queue_waiting', help: 'again', registers: [registry] })).toThrow(/already been registered/)
    expect(await registry.metrics()).toContain('herald_queue_waiting 7\n')
  })
})
