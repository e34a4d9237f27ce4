// Child of bench/digest.ts: what `herald run --site DIR --announce-latest 2` does (same functions, same order), with
// the mail transport replaced by one that accepts every message at once. What is left is Herald's own cost per
// message: BullMQ, Redis round trips, ledger, locks, personalisation. Prints one JSON line.
// Usage: HERALD_PREFIX=… SMTP_URL=smtp://unused REDIS_URL=… node --import tsx bench/support/run-null-transport.ts <site dir> [concurrency]
import type { MailMessage, MailTransport, SendResult } from '../../src/mail/transport.js'

const siteDir = process.argv[2]
if (!siteDir) throw new Error('usage: run-null-transport.ts <site dir> [concurrency]')
const concurrency = Number(process.argv[3] ?? '10')

const { openSite } = await import('../../src/cli/runtime.js')
const { openServices } = await import('../../src/app/services.js')
const { runPublishCycle } = await import('../../src/app/publish-cycle.js')
const { SendTally, startSiteWorkers } = await import('../../src/app/workers.js')
const { waitForEditions } = await import('../../src/app/wait-editions.js')
const { assertSendable } = await import('../../src/mail/message.js')

const context = await openSite(
  { site: siteDir, quiet: true },
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), interactive: false },
)
let accepted = 0
let firstAt = 0
let lastAt = 0
const nullTransport: MailTransport = {
  kind: 'smtp',
  async send(message: MailMessage): Promise<SendResult> {
    assertSendable(message)
    lastAt = performance.now()
    if (accepted++ === 0) firstAt = lastAt
    return {
      messageId: message.messageId ?? '<null@bench>',
      response: '250 accepted (null transport)',
      accepted: [message.to],
      rejected: [],
    }
  },
  async sendRaw(message) {
    lastAt = performance.now()
    if (accepted++ === 0) firstAt = lastAt
    return { messageId: message.messageId, response: '250 accepted (null transport)', accepted: [message.envelope.to], rejected: [] }
  },
  async verify() {},
  async close() {},
}
const services = await openServices(context, { transport: nullTransport })

try {
  const cycle = await runPublishCycle(services, { now: new Date(), announceLatest: 2 })
  const tally = new SendTally()
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const workers = await startSiteWorkers(services, { concurrency, tally })
  const editions: Array<{ sent: number }> = await waitForEditions(services.editions, cycle.openEditions, { pollMs: 20 })
  const finished = performance.now()
  const cpu = process.cpuUsage(cpuBefore)
  await workers.close()
  const sent = editions.reduce((sum, edition) => sum + edition.sent, 0)
  process.stdout.write(
    `${JSON.stringify({
      sent,
      accepted,
      wallMs: finished - started,
      sendWindowMs: lastAt - firstAt,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / Math.max(1, sent),
    })}\n`,
  )
} finally {
  await services.close()
}
