import { constants } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { maildirFiles, splitMbox } from '../bounces/mailbox.js'
import { MAX_RETURNED_MAIL_BYTES } from '../bounces/returned-mail.js'
import { HeraldError } from '../errors.js'
import type { BounceResult, Bounces } from './bounces.js'

/** Where `herald bounces ingest` reads returned mail from. */
export type MailSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin'; readonly stream: NodeJS.ReadableStream }
  | { readonly kind: 'maildir'; readonly path: string }
  | { readonly kind: 'mbox'; readonly path: string }

/** One message read, and what it did (or why it could not be handled). */
export interface IngestedMessage {
  /** Where it came from: a file, `-`, `mbox:3` (the third message of an mbox). */
  readonly label: string
  readonly result: BounceResult | null
  readonly error: string | null
}

/**
 * Reads returned messages from files, standard input, a Maildir or an mbox and hands each to {@link Bounces}, one at a
 * time (a mailbox of thousands never sits in memory at once, bar an mbox file). Nothing is moved or deleted: a message
 * read twice changes nothing the second time. `recipient` is the address the messages were delivered to, when the MTA
 * says (Postfix pipe's `${recipient}`).
 */
export async function* ingestReturnedMail(
  bounces: Bounces,
  sources: readonly MailSource[],
  options: { recipient?: string } = {},
): AsyncGenerator<IngestedMessage> {
  const envelopeRecipients = options.recipient ? [options.recipient] : []
  const handle = async (label: string, raw: Buffer): Promise<IngestedMessage> => {
    if (raw.length > MAX_RETURNED_MAIL_BYTES)
      return { label, result: null, error: `larger than ${MAX_RETURNED_MAIL_BYTES} bytes; not read` }
    try {
      return { label, result: await bounces.receiveMail(raw, { source: 'ingest', envelopeRecipients }), error: null }
    } catch (error) {
      return { label, result: null, error: (error as Error).message }
    }
  }
  for (const source of sources) {
    if (source.kind === 'stdin') yield await handle('-', await readAll(source.stream))
    else if (source.kind === 'file') yield await handle(source.path, await readFile(source.path))
    else if (source.kind === 'maildir') {
      for (const file of await maildirFiles(source.path)) yield await handle(file, await readFile(file))
    } else {
      const messages = splitMbox(await readFile(source.path))
      for (const [index, raw] of messages.entries()) yield await handle(`${source.path}:${index + 1}`, raw)
    }
  }
}

/** A file, mbox or Maildir that cannot be read is a mistake in the command line: `HeraldError('USAGE')` before anything is read. */
export async function checkMailSources(sources: readonly MailSource[]): Promise<void> {
  for (const source of sources) {
    if (source.kind === 'stdin') continue
    try {
      if (source.kind === 'maildir') await maildirFiles(source.path)
      else await access(source.path, constants.R_OK)
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
      throw new HeraldError('USAGE', reason, { file: source.path })
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  let kept = 0
  for await (const chunk of stream) {
    // Read on past the limit (an MTA pipe must be drained), keeping just enough to tell that it was too large.
    if (kept > MAX_RETURNED_MAIL_BYTES) continue
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    chunks.push(buffer)
    kept += buffer.length
  }
  return Buffer.concat(chunks)
}
