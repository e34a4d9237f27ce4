import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'

/**
 * The mailbox formats `herald bounces ingest` reads, for operators who fetch the bounce mailbox (fetchmail, getmail,
 * mbsync) instead of piping each message from their MTA.
 */

/**
 * Splits an mbox file into its messages. A message starts at a `From ` line at the start of the file or after a blank
 * line (mboxo/mboxrd); that line is the mbox's, not the message's, and is dropped. Quoted body lines (`>From `,
 * `>>From `…) lose one `>`, as mboxrd writes them. Bytes are kept as they are (LF or CRLF).
 */
export function splitMbox(content: Buffer): Buffer[] {
  const lines = content.toString('latin1').split('\n')
  const messages: string[][] = []
  let current: string[] | null = null
  let previousBlank = true
  for (const line of lines) {
    if (line.startsWith('From ') && previousBlank) {
      // The blank line before a From_ line separates messages: it is not part of the one that ends, whose last line keeps
      // its own line end (an empty last element makes join() end the message with one).
      if (current && current.length > 0) current[current.length - 1] = ''
      current = []
      messages.push(current)
      previousBlank = false
      continue
    }
    previousBlank = line.replace(/\r$/, '') === ''
    if (current) current.push(line.replace(/^>(>*From )/, '$1'))
  }
  return messages
    .map((message) => message.join('\n'))
    .filter((message) => message.trim() !== '')
    .map((message) => Buffer.from(message, 'latin1'))
}

/**
 * The message files of a Maildir (`new/` then `cur/`, each in name order, which is delivery order for the usual
 * `<time>.<unique>` names); hidden files and `tmp/` are skipped. Throws when `dir` has neither `new/` nor `cur/`.
 */
export async function maildirFiles(dir: string): Promise<string[]> {
  const files: string[] = []
  let found = false
  for (const folder of ['new', 'cur']) {
    const full = path.join(dir, folder)
    let names: string[]
    try {
      names = await readdir(full)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    found = true
    for (const name of names.filter((entry) => !entry.startsWith('.')).sort()) {
      const file = path.join(full, name)
      if ((await stat(file)).isFile()) files.push(file)
    }
  }
  if (!found) throw new Error(`${dir} is not a Maildir (it has neither new/ nor cur/)`)
  return files
}
