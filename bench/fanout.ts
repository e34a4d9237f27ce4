// Memory against list size: S subscribers through the whole pipeline (publish cycle, fan-out, BullMQ, send ledger,
// locks, each copy rendered) with a transport that accepts at once, in a fresh process per size. Prints the worker's
// peak RSS per size (target < 200 MB and within ±10% from the smallest to the largest size), the wall time, and the
// Redis memory the subscribers and the edition take.
// Usage: npm run bench:fanout [-- --subscribers 10000,50000,200000] [--redis redis://127.0.0.1:6379] [--keep]

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { SubscriberStore } from '../src/subscribers/store.js'
import { deleteKeys } from '../test/support/redis.js'
import { writeGeneratedSite } from './generate.js'
import { buildDist, expectExit, pad, runMeasured } from './support/measure.js'

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '10000,50000,200000' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    keep: { type: 'boolean', default: false },
  },
})
const sizes = values.subscribers.split(',').map((value) => Number(value.trim()))
const RSS_TARGET_MB = 200
const FLAT = 0.1

buildDist()
const redis = new Redis(values.redis, { maxRetriesPerRequest: null })
const siteDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-fanout-'))
await writeGeneratedSite(siteDir, 2)
const secret = randomBytes(48).toString('base64')
console.log(`machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}; Redis ${values.redis}\n`)

const rows: Array<{
  subscribers: number
  rssMb: number
  wallMs: number
  perSecond: number
  subscriberBytes: number
  editionBytes: number
}> = []
for (const subscribers of sizes) {
  const prefix = `hfan-${randomBytes(4).toString('hex')}`
  try {
    const before = await usedMemory()
    const importStarted = performance.now()
    await importSubscribers(prefix, subscribers)
    const importMs = performance.now() - importStarted
    const afterImport = await usedMemory()
    const result = expectExit(
      await runMeasured([path.join('bench', 'support', 'run-null-transport.mjs'), siteDir], {
        tsx: false,
        env: { HERALD_PREFIX: prefix, REDIS_URL: values.redis, HERALD_SECRET: secret, SMTP_URL: 'smtp://unused.invalid' },
      }),
      'run-null-transport',
    )
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { sent: number; wallMs: number }
    if (report.sent !== subscribers) throw new Error(`sent ${report.sent} of ${subscribers}`)
    const afterSend = await usedMemory()
    const row = {
      subscribers,
      rssMb: result.maxRssMb,
      wallMs: report.wallMs,
      perSecond: (subscribers / report.wallMs) * 1000,
      subscriberBytes: (afterImport - before) / subscribers,
      editionBytes: (afterSend - afterImport) / subscribers,
    }
    rows.push(row)
    console.log(
      `  S=${subscribers}: import ${(importMs / 1000).toFixed(1)} s; pipeline ${(report.wallMs / 1000).toFixed(1)} s ` +
        `(${row.perSecond.toFixed(0)} msg/s); worker peak RSS ${row.rssMb.toFixed(0)} MB; Redis ${row.subscriberBytes.toFixed(0)} B per ` +
        `subscriber + ${row.editionBytes.toFixed(0)} B per recipient of the edition (ledger, jobs)`,
    )
  } finally {
    if (!values.keep) await deleteKeys(redis, `*${prefix}*`)
  }
}

console.log('\nresults (one run per size; the null transport accepts every message at once)')
console.log(`  ${pad('subscribers', 13)}${pad('pipeline s', 12)}${pad('msg/s', 9)}${pad('worker peak RSS MB', 20)}Redis B/subscriber`)
for (const row of rows) {
  console.log(
    `  ${pad(String(row.subscribers), 13)}${pad((row.wallMs / 1000).toFixed(1), 12)}${pad(row.perSecond.toFixed(0), 9)}` +
      `${pad(row.rssMb.toFixed(0), 20)}${row.subscriberBytes.toFixed(0)} + ${row.editionBytes.toFixed(0)} per edition`,
  )
}
const rss = rows.map((row) => row.rssMb)
const max = Math.max(...rss)
const min = Math.min(...rss)
console.log(
  `  peak RSS < ${RSS_TARGET_MB} MB: ${max < RSS_TARGET_MB ? 'met' : 'NOT met'} (max ${max.toFixed(0)} MB); ` +
    `flat within ±${FLAT * 100}% of the smallest size: ${max <= rss[0]! * (1 + FLAT) && min >= rss[0]! * (1 - FLAT) ? 'met' : 'NOT met'} ` +
    `(${rss.map((value) => value.toFixed(0)).join(' → ')} MB)`,
)
redis.disconnect()
if (!values.keep) rmSync(siteDir, { recursive: true, force: true })

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)
}

/** Imports `count` active subscribers with SubscriberStore, many scripts in flight at once. */
async function importSubscribers(prefix: string, count: number): Promise<void> {
  const store = new SubscriberStore({ redis, prefix })
  const batch = 1000
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, offset) =>
        store.importRecord({ email: `reader${start + offset}@bench.example.org`, status: 'active' }),
      ),
    )
  }
}
