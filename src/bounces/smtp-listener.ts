import type { AddressInfo } from 'node:net'
import { domainToASCII } from 'node:url'
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server'
import type { Logger } from '../log.js'
import { splitAddress } from './verp.js'

/** What the listener knows about a message besides its bytes. */
export interface ListenerEnvelope {
  /** MAIL FROM (empty for bounces, which come from the null sender). */
  readonly from: string
  /** The accepted recipients: the bounce address, or its tagged forms. */
  readonly to: readonly string[]
  readonly remoteAddress: string
}

/** Options for {@link startBounceListener}. */
export interface BounceListenerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** `email.bounce_address`: mail is accepted for it and its `+tag` forms only. */
  readonly bounceAddress: string
  /** Handles one message; a rejection makes the sender try again later (451). */
  readonly onMessage: (raw: Buffer, envelope: ListenerEnvelope) => Promise<unknown>
  readonly logger: Logger
  /** Largest message accepted, in bytes (announced with SIZE). Default 1 MiB: a bounce plus the returned digest. */
  readonly maxBytes?: number
  /** Messages per minute one client address may send; more get a temporary refusal. Default 60. */
  readonly messagesPerMinute?: number
  /** Connections at once. Default 20. */
  readonly maxClients?: number
  /** Recipients per message. Default 5. */
  readonly maxRecipients?: number
  /** A silent connection is closed after this long. Default 60 s. */
  readonly socketTimeoutMs?: number
  readonly now?: () => number
}

/** A running listener. */
export interface BounceListener {
  readonly host: string
  readonly port: number
  close(): Promise<void>
}

type Refusal = Error & { responseCode: number }
const refuse = (responseCode: number, message: string): Refusal => Object.assign(new Error(message), { responseCode })

/**
 * `herald serve --smtp-port`: an SMTP server (the `smtp-server` package) that takes returned mail addressed to the
 * bounce address and hands each message to `onMessage`. It is not a mail server: no relaying, no authentication, no
 * other recipients (550), a size limit (552), a per-client rate limit and a recipient limit (4xx, so a real MTA
 * retries later). Put it behind the MX of the bounce domain, or relay that address to it.
 */
export async function startBounceListener(options: BounceListenerOptions): Promise<BounceListener> {
  const maxBytes = options.maxBytes ?? 1024 * 1024
  const perMinute = options.messagesPerMinute ?? 60
  const maxRecipients = options.maxRecipients ?? 5
  const now = options.now ?? Date.now
  const bounce = splitAddress(options.bounceAddress.toLowerCase())
  const bounceDomain = domainToASCII(bounce.domain) || bounce.domain
  const recent = new Map<string, number[]>()

  /** A sliding one-minute window per client address; the map is pruned as it is used. */
  const allowMessage = (client: string): boolean => {
    const time = now()
    const times = (recent.get(client) ?? []).filter((at) => time - at < 60_000)
    if (times.length >= perMinute) {
      recent.set(client, times)
      return false
    }
    times.push(time)
    recent.set(client, times)
    if (recent.size > 10_000) {
      for (const [key, list] of recent) if (list.every((at) => time - at >= 60_000)) recent.delete(key)
    }
    return true
  }

  const accepts = (address: string): boolean => {
    const at = address.lastIndexOf('@')
    if (at <= 0) return false
    const local = address.slice(0, at).toLowerCase()
    const domain = domainToASCII(address.slice(at + 1)) || address.slice(at + 1).toLowerCase()
    return domain.toLowerCase() === bounceDomain && (local === bounce.local || local.startsWith(`${bounce.local}+`))
  }

  const server = new SMTPServer({
    banner: 'Herald bounce listener',
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    size: maxBytes,
    maxClients: options.maxClients ?? 20,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    closeTimeout: 5_000,
    onMailFrom(_address, session, callback) {
      if (!allowMessage(session.remoteAddress)) return callback(refuse(451, '4.7.1 Too many messages from your address; try later'))
      callback()
    },
    onRcptTo(address, session, callback) {
      if (!accepts(address.address)) return callback(refuse(550, '5.1.1 No such mailbox here: this server only takes bounces'))
      if (session.envelope.rcptTo.length >= maxRecipients) return callback(refuse(452, '4.5.3 Too many recipients'))
      callback()
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = []
      let size = 0
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size <= maxBytes) chunks.push(chunk)
      })
      stream.on('end', () => {
        if (stream.sizeExceeded || size > maxBytes) return callback(refuse(552, `5.3.4 Message too big (at most ${maxBytes} bytes)`))
        const envelope: ListenerEnvelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          remoteAddress: session.remoteAddress,
        }
        options.onMessage(Buffer.concat(chunks), envelope).then(
          () => callback(null, 'Received, thank you'),
          (error: unknown) => {
            options.logger.error(
              { err: error, client: session.remoteAddress },
              'could not handle a returned message; the sender will retry',
            )
            callback(refuse(451, '4.3.0 Could not take the message now; try later'))
          },
        )
      })
    },
  })
  server.on('error', (error) => options.logger.warn(`bounce listener: ${error.message}`))
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject)
      resolve()
    })
  })
  const address = server.server.address() as AddressInfo
  return {
    host: address.address,
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
