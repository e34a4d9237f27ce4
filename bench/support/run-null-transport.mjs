// Child of bench/fanout.ts: what `herald run --site DIR --announce-latest 2` does (the compiled dist/, plain node, the
// same functions in the same order), with the mail transport replaced by one that accepts every message at once.
// Everything else is real: the publish cycle, BullMQ, the fan-out, the send ledger, locks, rendering each copy.
// Prints one JSON line. Usage: HERALD_PREFIX=… REDIS_URL=… node bench/support/run-null-transport.mjs <site dir> [concurrency]
import { setFlagsFromString } from 'node:v8'

// As worker.ts does for the commands that send.
setFlagsFromString('--heap-growing-percent=25')
const siteDir = process.argv[2]
if (!siteDir) throw new Error('usage: run-null-transport.mjs <site dir> [concurrency]')
const concurrency = Number(process.argv[3] ?? '5')
const dist = new URL('../../dist/src/', import.meta.url)
const load = (file) => import(new URL(file, dist).href)

const { openSite } = await load('cli/runtime.js')
const { openServices } = await load('app/services.js')
const { runPublishCycle } = await load('app/publish-cycle.js')
const { SendTally, startSiteWorkers } = await load('app/workers.js')
const { waitForEditions } = await load('app/wait-editions.js')

const context = await openSite(
  { site: siteDir, quiet: true },
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), interactive: false },
)
let accepted = 0
const accept = (messageId, to) => {
  accepted++
  return { messageId, response: '250 accepted (null transport)', accepted: [to], rejected: [] }
}
const nullTransport = {
  kind: 'smtp',
  async send(message) {
    return accept(message.messageId ?? '<null@bench>', message.to)
  },
  async sendRaw(message) {
    return accept(message.messageId, message.envelope.to)
  },
  async verify() {},
  async close() {},
}
const services = await openServices(context, { transport: nullTransport })
try {
  const started = performance.now()
  const cycle = await runPublishCycle(services, { now: new Date(), announceLatest: 2 })
  const tally = new SendTally()
  const workers = await startSiteWorkers(services, { concurrency, tally })
  const editions = await waitForEditions(services.editions, cycle.openEditions, { pollMs: 50 })
  const wallMs = performance.now() - started
  await workers.close()
  const sent = editions.reduce((sum, edition) => sum + edition.sent, 0)
  process.stdout.write(`${JSON.stringify({ sent, accepted, wallMs })}\n`)
} finally {
  await services.close()
}
