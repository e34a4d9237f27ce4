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
  /** One recipient's copy; its bytes come from `buffers` when given (see {@link BufferPool}), else a new Buffer. */
  render(values: TemplateValues, envelopeFrom: string, buffers?: BufferPool): RawMessage
}

/**
 * Buffers for finished messages, reused: a digest is ~100 KB, and a fresh one per recipient kept tens of MB of
 * garbage alive between collections (external memory is only reclaimed when V8 gets round to it). A buffer may go
 * back only when nothing reads it any more: after the server accepted the message (the whole body was written and
 * answered). After a failure or a deadline nodemailer may still hold it, so it is left to the garbage collector.
 */
export class BufferPool {
  private readonly spare: ArrayBuffer[] = []

  constructor(private readonly keep = 16) {}

  /** A buffer of exactly `size` bytes (a view of a spare one when one is big enough). */
  take(size: number): Buffer {
    const index = this.spare.findIndex((buffer) => buffer.byteLength >= size)
    const backing = index >= 0 ? this.spare.splice(index, 1)[0]! : new ArrayBuffer(Math.ceil(size * 1.1))
    return Buffer.from(backing, 0, size)
  }

  /** Hands a buffer from {@link take} back; only once nothing will read it again. */
  give(buffer: Buffer): void {
    if (this.spare.length < this.keep && buffer.buffer instanceof ArrayBuffer) this.spare.push(buffer.buffer)
  }
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
  const html = new Base64Body(source.html)
  const text = new Base64Body(source.text)
  const literal = pieces.map((piece, index) => (index % 2 === 0 ? Buffer.from(piece, 'utf8') : null))

  return {
    render(values, envelopeFrom, buffers) {
      if (/[\r\n\0]/.test(values.to + values.messageId + (values.listUnsubscribe ?? ''))) {
        throw new TypeError('a per-recipient header value may not contain a line break')
      }
      // One buffer per copy, written in place: a digest is ~100 KB and goes to thousands, so the copies themselves
      // must not leave strings of that size behind (they are what fills a worker's memory).
      const parts = pieces.map((piece, index): Buffer | string | FilledBody => {
        if (index % 2 === 0) return literal[index]!
        switch (piece) {
          case 'to':
            return values.to
          case 'messageId':
            return values.messageId
          case 'listUnsubscribe':
            return values.listUnsubscribe === null ? '' : `List-Unsubscribe: ${values.listUnsubscribe}\r\n`
          case 'text':
            return text.fill(values.text)
          default:
            return html.fill(values.html)
        }
      })
      let size = 0
      for (const part of parts) {
        size += typeof part === 'string' ? Buffer.byteLength(part) : Buffer.isBuffer(part) ? part.length : part.encodedSize
      }
      const raw = buffers ? buffers.take(size) : Buffer.allocUnsafe(size)
      let offset = 0
      for (const part of parts) {
        if (typeof part === 'string') offset += raw.write(part, offset, 'utf8')
        else if (Buffer.isBuffer(part)) offset += part.copy(raw, offset)
        else offset = part.writeTo(raw, offset)
      }
      if (offset !== size) throw new Error(`message template: wrote ${offset} bytes of ${size}`)
      return { raw, messageId: values.messageId, envelope: { from: envelopeFrom, to: values.to } }
    },
  }
}

/** A body with one recipient's values, ready to be written base64-encoded. */
interface FilledBody {
  /** Bytes it takes base64-encoded in lines of 76 characters. */
  readonly encodedSize: number
  /** Writes it at `offset`; returns the new offset. */
  writeTo(target: Buffer, offset: number): number
}

/** A literal run of a body: its bytes, and its base64 prepared for each of the three ways it can fall into groups. */
interface Literal {
  readonly bytes: Buffer
  /** `aligned[k]`: base64 of `bytes` from `k` on, whole 3-byte groups only. */
  readonly aligned: readonly [Buffer, Buffer, Buffer]
}

/**
 * A body (literal text with slots) base64-encoded per recipient without encoding the literal text again: base64
 * works in groups of 3 bytes, so each literal run is encoded ahead of time for each of the 3 positions a group can
 * start in, and per recipient only the slot values and the few bytes around them are encoded. Lines of 76 (RFC 2045).
 */
class Base64Body {
  private readonly parts: ReadonlyArray<Literal | { readonly slot: string }>
  private readonly literalBytes: number

  constructor(parts: readonly TemplatePart[]) {
    this.parts = parts.map((part) => (typeof part === 'string' ? prepareLiteral(Buffer.from(part, 'utf8')) : part))
    this.literalBytes = this.parts.reduce((sum, part) => sum + ('bytes' in part ? part.bytes.length : 0), 0)
  }

  fill(values: Readonly<Record<string, string>>): FilledBody {
    const slotBytes = this.parts.map((part) => ('slot' in part ? Buffer.from(values[part.slot] ?? '', 'utf8') : null))
    const length = this.literalBytes + slotBytes.reduce((sum, bytes) => sum + (bytes?.length ?? 0), 0)
    const characters = Math.ceil(length / 3) * 4
    return {
      encodedSize: characters + Math.max(0, Math.ceil(characters / 76) - 1) * 2,
      writeTo: (target, offset) => {
        const lines = new LineWriter(target, offset)
        let carry: Buffer = EMPTY
        this.parts.forEach((part, index) => {
          const bytes = slotBytes[index]
          if (bytes) {
            const joined = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes
            const whole = joined.length - (joined.length % 3)
            lines.write(Buffer.from(joined.toString('base64', 0, whole), 'latin1'))
            carry = joined.subarray(whole)
            return
          }
          const literalPart = part as Literal
          const skip = carry.length === 0 ? 0 : 3 - carry.length
          if (literalPart.bytes.length < skip) {
            carry = Buffer.concat([carry, literalPart.bytes])
            return
          }
          if (skip > 0) lines.write(Buffer.from(Buffer.concat([carry, literalPart.bytes.subarray(0, skip)]).toString('base64'), 'latin1'))
          const aligned = literalPart.aligned[skip]!
          lines.write(aligned)
          carry = literalPart.bytes.subarray(skip + (aligned.length / 4) * 3)
        })
        if (carry.length > 0) lines.write(Buffer.from(carry.toString('base64'), 'latin1'))
        return lines.offset
      },
    }
  }
}

const EMPTY = Buffer.alloc(0)

function prepareLiteral(bytes: Buffer): Literal {
  const aligned = [0, 1, 2].map((skip) => {
    if (bytes.length <= skip) return EMPTY
    const whole = skip + Math.floor((bytes.length - skip) / 3) * 3
    return Buffer.from(bytes.toString('base64', skip, whole), 'latin1')
  })
  return { bytes, aligned: aligned as [Buffer, Buffer, Buffer] }
}

/** Copies base64 characters into a buffer, breaking lines (CRLF) every 76 characters. */
class LineWriter {
  private column = 0

  constructor(
    private readonly target: Buffer,
    public offset: number,
  ) {}

  write(characters: Buffer): void {
    let from = 0
    while (from < characters.length) {
      if (this.column === 76) {
        this.target[this.offset++] = 13
        this.target[this.offset++] = 10
        this.column = 0
      }
      const take = Math.min(76 - this.column, characters.length - from)
      this.offset += characters.copy(this.target, this.offset, from, from + take)
      this.column += take
      from += take
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
