import MailComposer from 'nodemailer/lib/mail-composer'
import { assertSendable } from './message.js'

/** A part of a message body: literal text, or the name of a per-recipient value. */
export type TemplatePart = string | { readonly slot: string }

/** What a message template is built from: everything but the per-recipient values. */
export interface TemplateSource {
  readonly from: string
  readonly replyTo?: string | null
  readonly subject: string
  /** Headers every copy shares (List-Id, Precedence …). */
  readonly headers?: Readonly<Record<string, string>>
  /** The HTML body: literal parts and slots; slot values are inserted as given (escape them before). */
  readonly html: readonly TemplatePart[]
  readonly text: readonly TemplatePart[]
  /** Date header of every copy. Default: when the template is built. */
  readonly date?: Date
}

/** One recipient's values. `html` and `text` are the body slots' values for each part. */
export interface TemplateValues {
  /** The recipient, in the form the envelope and the To header carry (ASCII domain). */
  readonly to: string
  /** `<local@domain>`. */
  readonly messageId: string
  /** The List-Unsubscribe header's value, or null for none. */
  readonly listUnsubscribe: string | null
  readonly html: Readonly<Record<string, string>>
  readonly text: Readonly<Record<string, string>>
}

/** A finished message for one recipient: the bytes as they go on the wire, and who they go to. */
export interface RawMessage {
  readonly raw: Buffer
  readonly messageId: string
  readonly envelope: { readonly from: string; readonly to: string }
}

/** A message built once and filled in per recipient by substitution. */
export interface MessageTemplate {
  render(values: TemplateValues, envelopeFrom: string): RawMessage
}

const MARK = {
  to: 'herald-slot-to@herald.invalid',
  messageId: '<herald-slot-message-id@herald.invalid>',
  listUnsubscribe: 'herald-slot-list-unsubscribe',
  text: 'HERALDTEXTBODYMARK',
  html: 'HERALDHTMLBODYMARK',
} as const

/**
 * Builds a message once with nodemailer's MailComposer (headers, encoded words, boundaries, exactly as a normal send
 * would make them), with markers where per-recipient values go; `render` then makes each recipient's copy by
 * substitution: To, Message-ID, List-Unsubscribe, and the two bodies, base64-encoded per copy from prebuilt buffers.
 * The digest of one edition is the same message for every reader but for those values, so nothing else is built twice.
 */
export async function buildMessageTemplate(source: TemplateSource): Promise<MessageTemplate> {
  const headers: Record<string, string> = { ...(source.headers ?? {}), 'List-Unsubscribe': MARK.listUnsubscribe }
  // The same checks a single send makes, once: no line breaks in any header, a valid From.
  assertSendable({
    from: source.from,
    to: 'check@herald.invalid',
    subject: source.subject,
    html: '',
    text: '',
    headers,
    replyTo: source.replyTo ?? null,
  })
  const composed = new MailComposer({
    from: source.from,
    to: MARK.to,
    ...(source.replyTo ? { replyTo: source.replyTo } : {}),
    subject: source.subject,
    messageId: MARK.messageId,
    date: source.date ?? new Date(),
    headers,
    text: { content: MARK.text, contentTransferEncoding: 'base64' },
    html: { content: MARK.html, contentTransferEncoding: 'base64' },
    newline: 'windows',
    disableFileAccess: true,
    disableUrlAccess: true,
  } as never).compile()
  const built = await new Promise<Buffer>((resolve, reject) =>
    composed.build((error, message) => (error ? reject(error) : resolve(message))),
  )
  const wire = built.toString('utf8')
  const markers = {
    [MARK.to]: 'to',
    [MARK.messageId]: 'messageId',
    [`List-Unsubscribe: ${MARK.listUnsubscribe}\r\n`]: 'listUnsubscribe',
    [Buffer.from(MARK.text).toString('base64')]: 'text',
    [Buffer.from(MARK.html).toString('base64')]: 'html',
  } as const
  const pattern = new RegExp(Object.keys(markers).map(escapeRegExp).join('|'), 'g')
  const pieces: Array<string | (typeof markers)[keyof typeof markers]> = []
  let last = 0
  for (const match of wire.matchAll(pattern)) {
    pieces.push(wire.slice(last, match.index), markers[match[0] as keyof typeof markers] as (typeof markers)[keyof typeof markers])
    last = match.index + match[0].length
  }
  pieces.push(wire.slice(last))
  const found = pieces.filter((_piece, index) => index % 2 === 1)
  for (const name of ['to', 'messageId', 'listUnsubscribe', 'text', 'html'] as const) {
    if (!found.includes(name)) throw new Error(`message template: the composed message has no ${name} marker`)
  }
  const html = bodyParts(source.html)
  const text = bodyParts(source.text)
  const literal = pieces.map((piece, index) => (index % 2 === 0 ? Buffer.from(piece, 'utf8') : null))

  return {
    render(values, envelopeFrom) {
      if (/[\r\n\0]/.test(values.to + values.messageId + (values.listUnsubscribe ?? ''))) {
        throw new TypeError('a per-recipient header value may not contain a line break')
      }
      // One buffer per copy, written in place: a digest is ~100 KB and goes to thousands, so the copies themselves
      // must not leave strings of that size behind (they are what fills a worker's memory).
      const parts = pieces.map((piece, index): Buffer | string => {
        if (index % 2 === 0) return literal[index]!
        switch (piece) {
          case 'to':
            return values.to
          case 'messageId':
            return values.messageId
          case 'listUnsubscribe':
            return values.listUnsubscribe === null ? '' : `List-Unsubscribe: ${values.listUnsubscribe}\r\n`
          case 'text':
            return filled(text, values.text)
          default:
            return filled(html, values.html)
        }
      })
      const bodies = pieces.map((piece, index) =>
        index % 2 === 1 && (piece === 'text' || piece === 'html') ? (parts[index] as Buffer) : null,
      )
      let size = 0
      parts.forEach((part, index) => {
        size += bodies[index] ? base64Size(bodies[index]!.length) : typeof part === 'string' ? Buffer.byteLength(part) : part.length
      })
      const raw = Buffer.allocUnsafe(size)
      let offset = 0
      parts.forEach((part, index) => {
        const body = bodies[index]
        if (body) offset = writeBase64Lines(raw, offset, body)
        else if (typeof part === 'string') offset += raw.write(part, offset, 'utf8')
        else offset += part.copy(raw, offset)
      })
      return { raw, messageId: values.messageId, envelope: { from: envelopeFrom, to: values.to } }
    },
  }
}

type BodyPart = Buffer | { readonly slot: string }

function bodyParts(parts: readonly TemplatePart[]): BodyPart[] {
  return parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part))
}

/** A body with its slots filled, as bytes. */
function filled(parts: readonly BodyPart[], values: Readonly<Record<string, string>>): Buffer {
  return Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(values[part.slot] ?? '', 'utf8'))))
}

/** Bytes of `length` bytes base64-encoded in lines of 76 characters separated by CRLF (RFC 2045). */
function base64Size(length: number): number {
  const characters = Math.ceil(length / 3) * 4
  return characters + Math.max(0, Math.ceil(characters / 76) - 1) * 2
}

/** Writes `body` base64-encoded in lines of 76 (57 bytes each) into `target` at `offset`; returns the new offset. */
function writeBase64Lines(target: Buffer, offset: number, body: Buffer): number {
  let position = offset
  for (let start = 0; start < body.length; start += 57) {
    if (start > 0) position += target.write('\r\n', position, 'latin1')
    position += target.write(body.toString('base64', start, Math.min(start + 57, body.length)), position, 'latin1')
  }
  return position
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
