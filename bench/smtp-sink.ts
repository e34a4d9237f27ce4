// An SMTP sink for bench/digest.ts, in its own process: accepts every message, counts it and throws the data away.
// Started with an IPC channel (child_process.fork or spawn with 'ipc'); it sends { type: 'ready', port } once
// listening and answers { type: 'stats' } with counts and the arrival times of the first and last message, and
// { type: 'sample' } with the raw bytes of the first message it received since the last { type: 'reset' }.
// Run by hand: node --import tsx bench/smtp-sink.ts [--port 2525] (prints a count every second).

import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { SMTPServer } from 'smtp-server'

/** What the sink reports. Times are `performance.timeOrigin + performance.now()` (ms since the epoch, sub-ms). */
export interface SinkStats {
  readonly messages: number
  readonly bytes: number
  readonly connections: number
  readonly firstAt: number | null
  readonly lastAt: number | null
}

export type SinkRequest = { type: 'stats' } | { type: 'reset' } | { type: 'sample' } | { type: 'close' }
export type SinkReply =
  | { type: 'ready'; port: number }
  | ({ type: 'stats' } & SinkStats)
  | { type: 'sample'; raw: string | null }
  | { type: 'reset' }

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } })
const clock = () => performance.timeOrigin + performance.now()

let messages = 0
let bytes = 0
let connections = 0
let firstAt: number | null = null
let lastAt: number | null = null
let sample: Buffer[] | null = null
let wantSample = true

const server = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS'],
  authOptional: true,
  logger: false,
  size: 50 * 1024 * 1024,
  maxClients: 1000,
  onConnect(_session, callback) {
    connections++
    callback()
  },
  onData(stream, _session, callback) {
    const keep = wantSample
    wantSample = false
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (keep) chunks.push(chunk)
    })
    stream.on('end', () => {
      const now = clock()
      firstAt ??= now
      lastAt = now
      messages++
      if (keep) sample = chunks
      callback()
    })
  },
})

await new Promise<void>((resolve) => server.listen(Number(values.port), '127.0.0.1', resolve))
const port = (server.server.address() as AddressInfo).port

const stats = (): SinkStats => ({ messages, bytes, connections, firstAt, lastAt })

if (process.send) {
  process.send({ type: 'ready', port } satisfies SinkReply)
  process.on('message', (request: SinkRequest) => {
    if (request.type === 'stats') process.send!({ type: 'stats', ...stats() } satisfies SinkReply)
    else if (request.type === 'sample')
      process.send!({ type: 'sample', raw: sample ? Buffer.concat(sample).toString('utf8') : null } satisfies SinkReply)
    else if (request.type === 'reset') {
      messages = bytes = connections = 0
      firstAt = lastAt = null
      sample = null
      wantSample = true
      process.send!({ type: 'reset' } satisfies SinkReply)
    } else if (request.type === 'close') server.close(() => process.exit(0))
  })
  process.on('disconnect', () => server.close(() => process.exit(0)))
} else {
  console.log(`SMTP sink listening on smtp://127.0.0.1:${port}`)
  let previous = 0
  setInterval(() => {
    if (messages !== previous) console.log(`${messages} messages, ${(bytes / 1e6).toFixed(1)} MB`)
    previous = messages
  }, 1000)
}
