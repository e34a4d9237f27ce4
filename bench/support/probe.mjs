// Preloaded into a measured child process (`node --import ./bench/support/probe.mjs --import tsx …`).
// At exit it writes to $HERALD_BENCH_PROBE: peak RSS, uptime and, with HERALD_BENCH_COUNT_REDIS=1, the Redis
// commands this process sent (by name; scripts by name when known, else by their first key's shape).
// Plain JavaScript so that it loads before tsx; it never changes what the measured program does.
import { createHash } from 'node:crypto'
import { readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

const out = process.env.HERALD_BENCH_PROBE
const counts = new Map()

if (out && process.env.HERALD_BENCH_COUNT_REDIS === '1') {
  const require = createRequire(import.meta.url)
  const scriptNames = bullmqScriptNames(require)
  const { Redis } = require('ioredis')
  const original = Redis.prototype.sendCommand
  Redis.prototype.sendCommand = function countingSendCommand(command, stream) {
    const label = labelOf(command, scriptNames)
    counts.set(label, (counts.get(label) ?? 0) + 1)
    return original.call(this, command, stream)
  }
}

// Peaks of what makes up the RSS (V8 heap, Buffers and other external memory), sampled every 250 ms.
const peaks = { heapUsedMb: 0, heapTotalMb: 0, externalMb: 0, arrayBuffersMb: 0 }
// RSS over time (wall clock ms, MB), so a benchmark can tell start-up and publishing from sending.
const timeline = []
function samplePeaks() {
  const usage = process.memoryUsage()
  if (timeline.length < 20_000) timeline.push([Date.now(), Math.round(usage.rss / 2 ** 20)])
  peaks.heapUsedMb = Math.max(peaks.heapUsedMb, usage.heapUsed / 2 ** 20)
  peaks.heapTotalMb = Math.max(peaks.heapTotalMb, usage.heapTotal / 2 ** 20)
  peaks.externalMb = Math.max(peaks.externalMb, usage.external / 2 ** 20)
  peaks.arrayBuffersMb = Math.max(peaks.arrayBuffersMb, usage.arrayBuffers / 2 ** 20)
}
if (out) setInterval(samplePeaks, 250).unref()

if (out) {
  process.on('exit', () => {
    samplePeaks()
    const usage = process.resourceUsage()
    writeFileSync(
      out,
      JSON.stringify({
        maxRssKb: usage.maxRSS,
        uptimeMs: performance.now(),
        userCpuMs: usage.userCPUTime / 1000,
        systemCpuMs: usage.systemCPUTime / 1000,
        peaks,
        timeline,
        redis: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
      }),
    )
  })
}

function labelOf(command, scriptNames) {
  const name = String(command.name).toLowerCase()
  if (name !== 'evalsha' && name !== 'eval') return name
  const [script, numKeys, firstKey] = command.args.map((arg) => (Buffer.isBuffer(arg) ? arg.toString() : String(arg)))
  const sha = name === 'eval' ? createHash('sha1').update(script).digest('hex') : script
  const known = scriptNames.get(sha)
  if (known) return `script bullmq ${known}`
  // Herald's own scripts: name them by the shape of their first key ({prefix}:edition:<id>:sends → edition:*:sends).
  const shape = (firstKey ?? '').replace(/^\{[^}]*\}:?/, '').replace(/[0-9a-f]{8,}|\b\d+\b/gi, '*')
  return `script ${numKeys} keys ${shape}`
}

/** sha1 → name of BullMQ's Lua scripts (as loaded from its dist folder), when they can be found. */
function bullmqScriptNames(require) {
  const names = new Map()
  try {
    const dir = path.join(path.dirname(require.resolve('bullmq')), 'scripts')
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.js') || file === 'index.js') continue
      for (const script of Object.values(require(path.join(dir, file)))) {
        if (script && typeof script.content === 'string') names.set(createHash('sha1').update(script.content).digest('hex'), script.name)
      }
    }
  } catch {
    // Unknown layout: scripts are labelled by their keys instead.
  }
  return names
}
