import { isIP } from 'node:net'
import nodemailer, { type DKIMOptions } from 'nodemailer'
import SMTPConnection from 'nodemailer/lib/smtp-connection'
import type { Logger } from '../log.js'
import { assertSendable, type MailMessage, toNodemailer } from './message.js'
import type { RawMessage } from './mime-template.js'
import type { MailTransport, SendResult } from './types.js'

/** Options for {@link createSmtpTransport}. */
export interface SmtpTransportOptions {
  /**
   * `smtp://user:pass@host:587` (STARTTLS, required unless the host is this machine or `?requireTLS=false`) or
   * `smtps://…:465`; other query parameters are nodemailer options.
   */
  readonly url: string
  readonly logger: Logger
  /** Most connections in the pool. Default 5. */
  readonly maxConnections?: number
  /** Messages per connection before it is recycled. Default 100. */
  readonly maxMessages?: number
  /**
   * Longest one message may take, connection and the whole transaction included; a server that trickles bytes cannot
   * extend it. Default 2 minutes.
   */
  readonly deadlineMs?: number
  readonly dkim?: DKIMOptions
}

/** What a send's progress plugin records: whether the whole body went to the server (the final dot follows). */
interface BodyProgress {
  bodySent: boolean
}

const LOOPBACK = new Set(['localhost', 'localhost.localdomain', '::1', '[::1]'])

/** Loopback hosts (this machine) may speak plain SMTP; anything that crosses a network must use TLS. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (LOOPBACK.has(host.toLowerCase())) return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1'
}

/**
 * The nodemailer options for an `SMTP_URL`: `smtp://` to any host but this machine requires STARTTLS unless the URL
 * says `requireTLS=false`, so a password never crosses a network in clear text by accident.
 */
export function smtpUrlOptions(url: string): { url: string; requireTLS: boolean } {
  const parsed = new URL(url)
  const optOut = parsed.searchParams.get('requireTLS')
  const requireTLS = parsed.protocol === 'smtp:' && optOut !== 'false' && !isLoopbackHost(parsed.hostname)
  if (optOut !== null) parsed.searchParams.delete('requireTLS')
  return { url: parsed.toString(), requireTLS }
}

/**
 * Pooled SMTP through nodemailer. Every message has a hard deadline (`AbortSignal`) that closes only its own
 * connection; timeouts are shorter than nodemailer's minutes-long defaults. A failed send's error says whether the
 * whole body had gone out (`bodySent`), which is what tells a possible duplicate from a safe retry.
 */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const { url, requireTLS } = smtpUrlOptions(options.url)
  const deadlineMs = options.deadlineMs ?? 120_000
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: options.maxMessages ?? 100,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    // When a deadline gives up on a connection, drop it at once instead of waiting for a polite close.
    socketCloseTimeout: 0,
    ...(requireTLS ? { requireTLS: true } : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(options.dkim ? { dkim: options.dkim } : {}),
  })
  // The stream the connection reads is the one createReadStream() returns, after DKIM: its 'end' means every byte of
  // the body was handed to the DATA stream, which then writes the final dot.
  transporter.use('stream', (mail, done) => {
    const progress = (mail.data as { heraldProgress?: BodyProgress }).heraldProgress
    if (progress) {
      const node = mail.message
      const original = node.createReadStream.bind(node)
      node.createReadStream = (...args: Parameters<typeof original>) => {
        const stream = original(...args)
        progress.bodySent = false
        stream.once('end', () => {
          progress.bodySent = true
        })
        return stream
      }
    }
    done()
  })
  /**
   * One message through the pool with its deadline; a failure says whether the whole body had gone out (the stream
   * plugin sets `bodySent` after the final dot), which decides whether a retry may be a duplicate.
   */
  const deliver = async (mail: Record<string, unknown>): Promise<SendResult> => {
    const heraldProgress: BodyProgress = { bodySent: false }
    try {
      const info = await transporter.sendMail({ ...mail, signal: AbortSignal.timeout(deadlineMs), heraldProgress } as never)
      return {
        messageId: typeof mail.messageId === 'string' ? mail.messageId : info.messageId,
        response: info.response,
        accepted: addresses(info.accepted),
        rejected: addresses(info.rejected),
      }
    } catch (error) {
      if (typeof error === 'object' && error !== null) Object.assign(error, { bodySent: heraldProgress.bodySent })
      throw error
    }
  }
  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<SendResult> {
      assertSendable(message)
      return deliver(toNodemailer(message) as Record<string, unknown>)
    },
    async sendRaw(message: RawMessage): Promise<SendResult> {
      const envelope = { from: message.envelope.from, to: [message.envelope.to] }
      return deliver({ raw: message.raw, envelope, messageId: message.messageId })
    },
    async verify() {
      await verifyConnection((transporter as unknown as { transporter: { options: PoolOptions } }).transporter.options, deadlineMs)
    },
    async close() {
      transporter.close()
    },
  }
}

type PoolOptions = ConstructorParameters<typeof SMTPConnection>[0] & {
  auth?: { user?: string; pass?: string; type?: string; method?: string }
  authMethod?: string
}

/**
 * Connect, TLS and login once, as a send would, within `deadlineMs`: nodemailer's own verify() cannot be cancelled, and
 * a server that trickles an endless greeting would keep it (and the process) alive.
 */
function verifyConnection(options: PoolOptions, deadlineMs: number): Promise<void> {
  const connection = new SMTPConnection({ ...options })
  return new Promise<void>((resolve, reject) => {
    let settled = false
    const finish = (error?: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error) {
        connection.close()
        reject(error)
      } else {
        connection.quit()
        resolve()
      }
    }
    const timer = setTimeout(
      () => finish(Object.assign(new Error(`no complete answer within ${deadlineMs / 1000} s`), { code: 'ETIMEDOUT', command: 'CONN' })),
      deadlineMs,
    )
    connection.once('error', finish)
    connection.once('end', () => finish(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION', command: 'CONN' })))
    connection.connect((error) => {
      if (error) return finish(error)
      const auth = options.auth
      if (!auth?.user && !auth?.pass) return finish()
      const login = {
        type: (auth.type ?? 'LOGIN').toUpperCase(),
        user: auth.user ?? '',
        credentials: { user: auth.user ?? '', pass: auth.pass ?? '' },
        method: (auth.method ?? options.authMethod ?? '').toUpperCase() || false,
      }
      connection.login(login as never, (loginError) => finish(loginError ?? undefined))
    })
  })
}

function addresses(list: ReadonlyArray<string | { address: string }> | undefined): string[] {
  return (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.address))
}
