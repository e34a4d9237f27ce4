import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'

/** A message the sink accepted: envelope recipients, raw bytes, and what mailparser makes of it. */
export interface ReceivedMessage {
  readonly envelopeTo: readonly string[]
  readonly envelopeFrom: string
  readonly raw: Buffer
  readonly parsed: ParsedMail
}

/** Decides the reply to `RCPT TO` for an address: undefined accepts, otherwise `{ code, message }`. */
export type RecipientPolicy = (address: string, attempt: number) => { code: number; message: string } | undefined

/** Decides the reply to `MAIL FROM` for a sender: undefined accepts, otherwise `{ code, message }`. */
export type SenderPolicy = (address: string) => { code: number; message: string } | undefined

/**
 * What happens after a message's final dot, for its (one) recipient and the how-many-th message to them this is:
 * `accept` (250), `close` (the message is kept, then the connection drops without a reply: the client cannot know),
 * `hang` (no reply ever; the message is not kept), or a reply `{ code, message }` refusing it.
 */
export type DataPolicy = (recipient: string, delivery: number) => 'accept' | 'close' | 'hang' | { code: number; message: string }

/** A real SMTP server in this process (the `smtp-server` package), collecting what it is sent. */
export interface SmtpSink {
  readonly port: number
  readonly url: string
  readonly messages: ReceivedMessage[]
  /** `RCPT TO` attempts per address, accepted or not. */
  readonly attempts: Map<string, number>
  setPolicy(policy: RecipientPolicy): void
  setSenderPolicy(policy: SenderPolicy): void
  setDataPolicy(policy: DataPolicy): void
  /** Messages received (after the final dot) per recipient, whatever the answer was (`close` ones included). */
  received(recipient: string): number
  /**
   * Stops answering the end of DATA: messages keep arriving but get no reply (and are not counted) until
   * `discardHeld`. Lets a test kill a client while its messages are provably not accepted yet.
   */
  hold(): void
  /** {@link hold} from the moment `count` messages have been accepted (exactly that many, however fast the client). */
  holdAfter(count: number): void
  /** Stops holding; every held message is refused with a 421 and not counted (its client never got a 250). */
  discardHeld(): void
  /** Resolves once at least `count` messages have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>
  close(): Promise<void>
}

/** Starts an SMTP sink on 127.0.0.1 with a free port. No TLS, any auth accepted. */
export async function startSmtpSink(extra: Partial<SMTPServerOptions> = {}): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = []
  const attempts = new Map<string, number>()
  let policy: RecipientPolicy = () => undefined
  let senderPolicy: SenderPolicy = () => undefined
  let dataPolicy: DataPolicy = () => 'accept'
  const deliveries = new Map<string, number>()
  let holding = false
  let holdAt: number | null = null
  const held: Array<{ refuse: () => void }> = []
  const waiters: Array<{ count: number; resolve: (m: ReceivedMessage[]) => void }> = []

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    size: 50 * 1024 * 1024,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'test' })
    },
    onMailFrom(address, _session, callback) {
      const verdict = senderPolicy(address.address.toLowerCase())
      if (!verdict) return callback()
      callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }))
    },
    onRcptTo(address, _session, callback) {
      const key = address.address.toLowerCase()
      const attempt = (attempts.get(key) ?? 0) + 1
      attempts.set(key, attempt)
      const verdict = policy(key, attempt)
      if (!verdict) return callback()
      const error = new Error(verdict.message) as Error & { responseCode: number }
      error.responseCode = verdict.code
      callback(error)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks)
        const parsed = await simpleParser(raw)
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address.toLowerCase())
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        const accept = () => {
          messages.push({ raw, parsed, envelopeFrom, envelopeTo })
          if (holdAt !== null && messages.length >= holdAt) holding = true
          for (const waiter of [...waiters]) {
            if (messages.length >= waiter.count) {
              waiters.splice(waiters.indexOf(waiter), 1)
              waiter.resolve(messages.slice())
            }
          }
          callback()
        }
        const refuse = () => callback(Object.assign(new Error('Service shutting down'), { responseCode: 421 }))
        if (holding) return held.push({ refuse })
        const recipient = envelopeTo[0] ?? ''
        const delivery = (deliveries.get(recipient) ?? 0) + 1
        const verdict = dataPolicy(recipient, delivery)
        if (verdict === 'hang') return
        deliveries.set(recipient, delivery)
        if (verdict === 'accept') return accept()
        if (verdict === 'close') {
          // The server has the whole message and keeps it; the client never hears back.
          messages.push({ raw, parsed, envelopeFrom, envelopeTo })
          const connection = [
            ...(server as unknown as { connections: Set<{ session: unknown; _socket: { destroy(): void } }> }).connections,
          ].find((candidate) => candidate.session === session)
          connection?._socket.destroy()
          return
        }
        callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }))
      })
    },
    ...extra,
  })
  // Clients that are killed mid-conversation (crash tests) reset their sockets; that is expected, not a failure.
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    attempts,
    setPolicy(next) {
      policy = next
    },
    setSenderPolicy(next) {
      senderPolicy = next
    },
    setDataPolicy(next) {
      dataPolicy = next
    },
    received(recipient) {
      return messages.filter((message) => message.envelopeTo.includes(recipient.toLowerCase())).length
    },
    holdAfter(count) {
      holdAt = count
      if (messages.length >= count) holding = true
    },
    hold() {
      holding = true
    },
    discardHeld() {
      holdAt = null
      holding = false
      for (const message of held.splice(0)) message.refuse()
    },
    waitFor(count, timeoutMs = 15_000) {
      if (messages.length >= count) return Promise.resolve(messages.slice())
      return new Promise((resolve, reject) => {
        const waiter = { count, resolve }
        waiters.push(waiter)
        setTimeout(() => {
          const index = waiters.indexOf(waiter)
          if (index >= 0) {
            waiters.splice(index, 1)
            reject(new Error(`SMTP sink: expected ${count} messages, got ${messages.length} within ${timeoutMs} ms`))
          }
        }, timeoutMs).unref()
      })
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
