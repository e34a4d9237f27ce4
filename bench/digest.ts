// The digest pipeline against plain nodemailer: S subscribers through `herald run` (publish cycle + BullMQ workers,
// real CLI in its own process) into an SMTP sink in its own process, then pooled nodemailer alone sending as many
// equally sized messages to the same sink. Prints both rates, their ratio, the worker's peak RSS and the Redis
// commands it sent per message.
// Usage: npm run bench:digest [-- --subscribers 10000 | --subscribers 2000,10000,50000] [--repeat 2] [--raw-window 5] [--dkim]
//        [--concurrency N (herald run --concurrency)] [--profile] [--redis redis://127.0.0.1:6379]

import { type ChildProcess, fork } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { simpleParser } from 'mailparser'
import { SubscriberStore } from '../src/subscribers/store.js'
import { deleteKeys } from '../test/support/redis.js'
import { writeGeneratedSite } from './generate.js'
import type { SinkReply, SinkRequest, SinkStats } from './smtp-sink.js'
import {
  buildDist,
  CpuSampler,
  expectExit,
  formatSpread,
  type Measured,
  pad,
  printProfile,
  ROOT,
  runMeasured,
  spread,
  summariseProfileDir,
} from './support/measure.js'
import type { MessageShape } from './support/raw-send.js'

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '2' },
    'raw-window': { type: 'string', default: '5' },
    concurrency: { type: 'string' },
    profile: { type: 'boolean', default: false },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    keep: { type: 'boolean', default: false },
    dkim: { type: 'boolean', default: false },
  },
})
const sizes = values.subscribers.split(',').map((value) => Number(value.trim()))
const repeat = Math.max(1, Number(values.repeat))
const rawWindow = Number(values['raw-window'])
// Issue 12: at least as fast as plain nodemailer; at least 0.9× of it when both sides sign with DKIM.
const RATIO_TARGET = values.dkim ? 0.9 : 1.0
const RSS_TARGET_MB = 200

// --- the sink, in its own process -------------------------------------------------------------------------------
buildDist()
const sink = await startSink()
console.log(`SMTP sink: smtp://127.0.0.1:${sink.port} (pid ${sink.child.pid}, smtp-server, counts and discards)`)

// --- a site with two posts (both go into the digest: --announce-latest 2 on first activation) ---------------------
const siteDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-digest-'))
await writeGeneratedSite(siteDir, 2)
const dkimKeyFile = path.join(siteDir, 'dkim.pem')
if (values.dkim) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  writeFileSync(dkimKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  appendFileSync(
    path.join(siteDir, 'herald.yml'),
    'email:\n  dkim:\n    domain: bench.example.org\n    selector: bench\n    private_key_file: dkim.pem\n',
  )
  console.log('DKIM: both sides sign every message (RSA 2048, d=bench.example.org)')
}
const redis = new Redis(values.redis, { maxRetriesPerRequest: null })
const secret = randomBytes(48).toString('base64')
let shape: MessageShape | null = null
const shapeFile = path.join(siteDir, 'message.json')

/** CPU ms per message spent between the first and the last message by the sender, the sink and Redis (all clients). */
interface WindowCpu {
  readonly sender: number
  readonly sink: number
  readonly redis: number
}
interface Trial {
  readonly subscribers: number
  readonly pipeline: { rate: number; sink: SinkStats; run: Measured; toFirstMs: number; cpu: WindowCpu }
  readonly raw: { rate: number; sink: SinkStats; run: Measured; cpu: WindowCpu }
}
const trials: Trial[] = []
let profileDir: string | null = null
let rawProfileDir: string | null = null

console.log(
  `machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}; Redis ${values.redis}; ${repeat} run(s) per size\n`,
)
for (const subscribers of sizes) {
  for (let run = 0; run < repeat; run++) {
    const prefix = `hbench-${randomBytes(4).toString('hex')}`
    try {
      const importStarted = performance.now()
      await importSubscribers(prefix, subscribers)
      const importMs = performance.now() - importStarted

      // (a) the whole pipeline, as cron runs it.
      await sink.request({ type: 'reset' })
      const wantProfile = values.profile && run === repeat - 1 && subscribers === sizes.at(-1)
      if (wantProfile) profileDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-digest-prof-'))
      const started = performance.timeOrigin + performance.now()
      const pipelineCpu = sampler('herald')
      const result = expectExit(
        await runMeasured(
          [
            'bin/herald.js',
            'run',
            '--site',
            siteDir,
            '--announce-latest',
            '2',
            '--quiet',
            ...(values.concurrency ? ['--concurrency', values.concurrency] : []),
          ],
          {
            tsx: false,
            env: {
              SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
              HERALD_PREFIX: prefix,
              REDIS_URL: values.redis,
              HERALD_SECRET: secret,
              NO_COLOR: '1',
            },
            countRedis: true,
            onSpawn: pipelineCpu.onSpawn,
            ...(wantProfile && profileDir ? { cpuProfileDir: profileDir } : {}),
          },
        ),
        'herald run',
      )
      await pipelineCpu.sampler.stop()
      const pipelineSink = await sink.stats()
      if (pipelineSink.messages !== subscribers)
        throw new Error(`herald run: the sink got ${pipelineSink.messages} messages for ${subscribers} subscribers`)
      if (!shape) {
        shape = await messageShape(await sink.sample())
        writeFileSync(shapeFile, JSON.stringify(shape))
        console.log(
          `  digest: "${shape.subject}", HTML ${shape.html.length} + text ${shape.text.length} characters, ` +
            `transfer encoding ${shape.textEncoding ?? 'chosen per part by nodemailer'}`,
        )
      }

      // (b) plain pooled nodemailer, same sink, same number of equally sized messages.
      await sink.request({ type: 'reset' })
      if (wantProfile) rawProfileDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-raw-prof-'))
      const rawCpu = sampler('sender')
      const raw = expectExit(
        await runMeasured(
          [
            path.join(ROOT, 'bench', 'support', 'raw-send.ts'),
            `smtp://127.0.0.1:${sink.port}`,
            String(subscribers),
            shapeFile,
            String(rawWindow),
          ],
          {
            ...(values.dkim ? { env: { HERALD_BENCH_DKIM_KEY: dkimKeyFile } } : {}),
            onSpawn: rawCpu.onSpawn,
            ...(wantProfile && rawProfileDir ? { cpuProfileDir: rawProfileDir } : {}),
          },
        ),
        'raw nodemailer',
      )
      await rawCpu.sampler.stop()
      const rawSink = await sink.stats()

      const trial: Trial = {
        subscribers,
        pipeline: {
          rate: rateOf(pipelineSink),
          sink: pipelineSink,
          run: result,
          toFirstMs: (pipelineSink.firstAt ?? started) - started,
          cpu: windowCpu(pipelineCpu.sampler, pipelineSink, 'herald'),
        },
        raw: { rate: rateOf(rawSink), sink: rawSink, run: raw, cpu: windowCpu(rawCpu.sampler, rawSink, 'sender') },
      }
      trials.push(trial)
      console.log(
        `  S=${subscribers} run ${run + 1}: herald ${trial.pipeline.rate.toFixed(0)} msg/s ` +
          `(first message after ${trial.pipeline.toFirstMs.toFixed(0)} ms, run ${(result.wallMs / 1000).toFixed(1)} s, ` +
          `peak RSS ${result.maxRssMb.toFixed(0)} MB); ` +
          `nodemailer ${trial.raw.rate.toFixed(0)} msg/s (peak RSS ${raw.maxRssMb.toFixed(0)} MB); ` +
          `ratio ${(trial.pipeline.rate / trial.raw.rate).toFixed(2)}; ` +
          `${(pipelineSink.bytes / pipelineSink.messages / 1024).toFixed(1)} vs ` +
          `${(rawSink.bytes / rawSink.messages / 1024).toFixed(1)} KB/message; import ${importMs.toFixed(0)} ms`,
      )
      const peaks = result.probe?.peaks
      if (peaks)
        console.log(
          `      herald run memory peaks: V8 heap used ${peaks.heapUsedMb.toFixed(0)} MB of ${peaks.heapTotalMb.toFixed(0)} MB, ` +
            `external ${peaks.externalMb.toFixed(0)} MB (Buffers ${peaks.arrayBuffersMb.toFixed(0)} MB); RSS peak before the first ` +
            `message ${rssBetween(result, 0, pipelineSink.firstAt ?? 0).toFixed(0)} MB, while sending ` +
            `${rssBetween(result, pipelineSink.firstAt ?? 0, pipelineSink.lastAt ?? 0).toFixed(0)} MB`,
        )
      const cpu = (window: WindowCpu) =>
        `sender ${window.sender.toFixed(2)} + sink ${window.sink.toFixed(2)} + redis ${window.redis.toFixed(2)}`
      console.log(
        `      CPU ms/message between first and last message: herald ${cpu(trial.pipeline.cpu)}; nodemailer ${cpu(trial.raw.cpu)}`,
      )
    } finally {
      if (!values.keep) await deleteKeys(redis, `*${prefix}*`)
    }
  }
}

console.log(`\nresults (median (min–max) over ${repeat} run(s); rates from the sink's first to last message)`)
console.log(
  `  ${pad('subscribers', 13)}${pad('herald msg/s', 20)}${pad('nodemailer msg/s', 20)}${pad('ratio', 20)}` +
    `${pad('worker peak RSS MB', 22)}verdict`,
)
for (const subscribers of sizes) {
  const mine = trials.filter((trial) => trial.subscribers === subscribers)
  const ratios = mine.map((trial) => trial.pipeline.rate / trial.raw.rate)
  const rss = mine.map((trial) => trial.pipeline.run.maxRssMb)
  const ratioMet = spread(ratios).median >= RATIO_TARGET
  const rssMet = spread(rss).max < RSS_TARGET_MB
  console.log(
    `  ${pad(String(subscribers), 13)}${pad(formatSpread(mine.map((trial) => trial.pipeline.rate)), 20)}` +
      `${pad(formatSpread(mine.map((trial) => trial.raw.rate)), 20)}${pad(formatSpread(ratios, 2), 20)}${pad(formatSpread(rss), 22)}` +
      `ratio ≥ ${RATIO_TARGET}: ${ratioMet ? 'met' : 'NOT met'}; RSS < ${RSS_TARGET_MB} MB: ${rssMet ? 'met' : 'NOT met'}`,
  )
}
if (sizes.length > 1) {
  const first = spread(trials.filter((trial) => trial.subscribers === sizes[0]).map((trial) => trial.pipeline.run.maxRssMb)).median
  const last = spread(trials.filter((trial) => trial.subscribers === sizes.at(-1)).map((trial) => trial.pipeline.run.maxRssMb)).median
  console.log(
    `  worker peak RSS from S=${sizes[0]} to S=${sizes.at(-1)}: ${first.toFixed(0)} → ${last.toFixed(0)} MB ` +
      `(${last - first > 25 ? 'GROWS with S' : 'flat'})`,
  )
}
console.log(
  `  raw nodemailer: ${rawWindow} sendMail calls in flight (herald run --concurrency ${values.concurrency ?? 'default 5'}), ` +
    'pool options captured from src/mail/smtp.ts',
)

// Redis commands per message, from the last run of the largest size.
const last = trials.at(-1)
if (last?.pipeline.run.probe) {
  const perMessage = Object.entries(last.pipeline.run.probe.redis).map(([name, count]) => [name, count / last.subscribers] as const)
  const total = perMessage.reduce((sum, [, count]) => sum + count, 0)
  console.log(`\nRedis commands sent by the herald run process, per message (S=${last.subscribers}): ${total.toFixed(1)} in all`)
  for (const [name, count] of perMessage.filter(([, count]) => count >= 0.05)) console.log(`  ${count.toFixed(2).padStart(6)}  ${name}`)
  const cpu = last.pipeline.run.probe
  console.log(
    `  CPU of the herald run process: user ${(cpu.userCpuMs / 1000).toFixed(1)} s + system ${(cpu.systemCpuMs / 1000).toFixed(1)} s = ` +
      `${((cpu.userCpuMs + cpu.systemCpuMs) / last.subscribers).toFixed(2)} ms/message; ` +
      `nodemailer alone: ${((last.raw.run.probe!.userCpuMs + last.raw.run.probe!.systemCpuMs) / last.subscribers).toFixed(2)} ms/message`,
  )
}
if (profileDir) {
  console.log('')
  printProfile(`CPU profile of herald run (S=${sizes.at(-1)})`, summariseProfileDir(profileDir, 14))
  console.log(`   profile kept in ${profileDir}`)
}
if (rawProfileDir) {
  console.log('')
  printProfile(`CPU profile of plain nodemailer (S=${sizes.at(-1)})`, summariseProfileDir(rawProfileDir, 14))
  console.log(`   profile kept in ${rawProfileDir}`)
}

await sink.close()
redis.disconnect()
if (!values.keep) rmSync(siteDir, { recursive: true, force: true })

// ------------------------------------------------------------------------------------------------------------------

/** A CPU sampler watching the sink and Redis, plus the child (under `label`) once it is spawned. */
function sampler(label: string): { sampler: CpuSampler; onSpawn: (child: ChildProcess) => void } {
  const cpu = new CpuSampler(redis)
  cpu.watch('sink', sink.child.pid)
  return {
    sampler: cpu,
    onSpawn: (child) => {
      cpu.watch(label, child.pid)
      cpu.start()
    },
  }
}

function windowCpu(cpu: CpuSampler, stats: SinkStats, label: string): WindowCpu {
  if (stats.firstAt === null || stats.lastAt === null || stats.messages < 2)
    return { sender: Number.NaN, sink: Number.NaN, redis: Number.NaN }
  const used = cpu.between(stats.firstAt, stats.lastAt)
  const per = (value: number | undefined) => (value ?? Number.NaN) / (stats.messages - 1)
  return { sender: per(used[label]), sink: per(used.sink), redis: per(used.redis) }
}

/** Highest RSS the probe sampled between two wall-clock times (epoch ms). */
function rssBetween(result: Measured, from: number, to: number): number {
  const inside = (result.probe?.timeline ?? []).filter(([at]) => at >= from && at <= to).map(([, mb]) => mb)
  return inside.length > 0 ? Math.max(...inside) : Number.NaN
}

function rateOf(stats: SinkStats): number {
  if (stats.messages < 2 || stats.firstAt === null || stats.lastAt === null) return Number.NaN
  return ((stats.messages - 1) / (stats.lastAt - stats.firstAt)) * 1000
}

/** Imports `count` active subscribers with SubscriberStore (many scripts in flight at once: seconds for 50,000). */
async function importSubscribers(prefix: string, count: number): Promise<void> {
  const store = new SubscriberStore({ redis, prefix })
  const batch = 500
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, offset) =>
        store.importRecord({ email: `reader${start + offset}@bench.example.org`, status: 'active' }),
      ),
    )
  }
  const counts = await store.counts()
  if (counts.active !== count) throw new Error(`imported ${counts.active} active subscribers, expected ${count}`)
}

/** The parts of a real digest that raw nodemailer needs to build an equally sized message. */
async function messageShape(raw: string | null): Promise<MessageShape> {
  if (!raw) throw new Error('the sink kept no sample message')
  const parsed = await simpleParser(raw)
  const headers: Record<string, string> = {}
  for (const line of parsed.headerLines) {
    if (/^(list-|precedence|x-herald)/i.test(line.key))
      headers[line.line.slice(0, line.line.indexOf(':'))] = line.line
        .slice(line.line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
  }
  if (typeof parsed.html !== 'string' || !parsed.text) throw new Error('the sample digest has no HTML or no text part')
  // Same transfer encoding as the digest: forced only when Herald forced it on both parts (else nodemailer picks per part, alike).
  const encodingOf = (type: string) =>
    new RegExp(`Content-Type:\\s*text/${type}[^]*?Content-Transfer-Encoding:\\s*([\\w-]+)`, 'i').exec(raw)?.[1]?.toLowerCase()
  const [htmlEncoding, textPartEncoding] = [encodingOf('html'), encodingOf('plain')]
  const textEncoding =
    htmlEncoding === textPartEncoding && (htmlEncoding === 'base64' || htmlEncoding === 'quoted-printable') ? htmlEncoding : null
  return {
    from: parsed.from?.text ?? 'bench@bench.example.org',
    subject: parsed.subject ?? 'digest',
    html: parsed.html,
    text: parsed.text,
    headers,
    textEncoding,
  }
}

interface Sink {
  readonly port: number
  readonly child: ChildProcess
  request(request: SinkRequest): Promise<SinkReply>
  stats(): Promise<SinkStats>
  sample(): Promise<string | null>
  close(): Promise<void>
}

async function startSink(): Promise<Sink> {
  const child = fork(path.join(ROOT, 'bench', 'smtp-sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const replies: Array<(reply: SinkReply) => void> = []
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code})`)))
    child.on('message', (reply: SinkReply) => {
      if (reply.type === 'ready') resolve(reply.port)
      else replies.shift()?.(reply)
    })
  })
  const request = (message: SinkRequest) =>
    new Promise<SinkReply>((resolve) => {
      replies.push(resolve)
      child.send(message)
    })
  return {
    port,
    child,
    request,
    stats: async () => {
      const { type: _type, ...stats } = (await request({ type: 'stats' })) as { type: 'stats' } & SinkStats
      return stats
    },
    sample: async () => ((await request({ type: 'sample' })) as { raw: string | null }).raw,
    close: async () => {
      child.removeAllListeners('exit')
      child.disconnect()
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}
