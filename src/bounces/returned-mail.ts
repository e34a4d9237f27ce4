import { type HeaderLines, simpleParser } from 'mailparser'

/** One recipient block of an RFC 3464 delivery-status report (field names lower-cased, values unfolded). */
export type DeliveryStatusFields = Readonly<Record<string, string>>

/** A message that came back to the bounce address, read into the parts classification needs. */
export interface ReturnedMail {
  /** Top-level header fields, names lower-cased, values unfolded; the first of repeated fields. */
  readonly headers: ReadonlyMap<string, string>
  /** The From address, lower-cased, or null. */
  readonly from: string | null
  readonly subject: string
  /** Top-level media type, lower-cased (`multipart/report`). */
  readonly contentType: string
  /** The `report-type` parameter of a `multipart/report`, lower-cased, or null. */
  readonly reportType: string | null
  /** The readable text (the text/plain part, or the HTML's text), decoded. */
  readonly text: string
  /** The per-message block and the recipient blocks of a delivery-status report, or null when there is none. */
  readonly deliveryStatus: { readonly message: DeliveryStatusFields; readonly recipients: readonly DeliveryStatusFields[] } | null
  /** The fields of an RFC 5965 feedback report (`message/feedback-report`), or null. */
  readonly feedbackReport: DeliveryStatusFields | null
  /** Whether a message (or its headers) is attached: returned copies, complaint reports without ARF fields. */
  readonly hasAttachedMessage: boolean
  /** The message as text (undecoded), for finding tagged addresses anywhere in it. */
  readonly raw: string
}

/** Largest message read; a bounce is a few kilobytes plus the returned message. */
export const MAX_RETURNED_MAIL_BYTES = 10 * 1024 * 1024

/** Reads a raw message (LF or CRLF line ends) with mailparser. */
export async function readReturnedMail(raw: Buffer): Promise<ReturnedMail> {
  const parsed = await simpleParser(raw, {
    // Keep the machine-readable report parts as parts instead of folding them into the text.
    keepDeliveryStatus: true,
    skipImageLinks: true,
    skipTextLinks: true,
    skipTextToHtml: true,
    maxHtmlLengthToParse: 1024 * 1024,
  })
  const headers = headerMap(parsed.headerLines)
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined
  let deliveryStatus: ReturnedMail['deliveryStatus'] = null
  let feedbackReport: DeliveryStatusFields | null = null
  for (const attachment of parsed.attachments) {
    const type = attachment.contentType.toLowerCase()
    if ((type === 'message/delivery-status' || type === 'message/global-delivery-status') && !deliveryStatus) {
      const [message = {}, ...recipients] = readFieldBlocks(attachment.content.toString('utf8'))
      deliveryStatus = { message, recipients }
    } else if (type === 'message/feedback-report' && !feedbackReport) {
      feedbackReport = Object.assign({}, ...readFieldBlocks(attachment.content.toString('utf8')))
    }
  }
  const text = raw.toString('utf8')
  return {
    headers,
    from: parsed.from?.value[0]?.address?.toLowerCase() ?? null,
    subject: parsed.subject ?? '',
    contentType: (contentType?.value ?? 'text/plain').toLowerCase(),
    reportType: contentType?.params?.['report-type']?.toLowerCase() ?? null,
    text: parsed.text ?? '',
    deliveryStatus,
    feedbackReport,
    // mailparser folds an inline attached message into the text, so look at the structure in the raw message.
    hasAttachedMessage: /^content-type:\s*(?:message\/(?:rfc822|global)|text\/rfc822-headers)/im.test(text),
    raw: text,
  }
}

/** `Name: value` lines in blocks separated by blank lines, continuation lines unfolded (RFC 3464 and RFC 5965 fields). */
export function readFieldBlocks(text: string): Array<Record<string, string>> {
  const blocks: Array<Record<string, string>> = []
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    const fields: Record<string, string> = {}
    let last: string | null = null
    for (const line of chunk.split('\n')) {
      if (/^[ \t]/.test(line) && last) {
        fields[last] += ` ${line.trim()}`
        continue
      }
      const colon = line.indexOf(':')
      if (colon <= 0) continue
      last = line.slice(0, colon).trim().toLowerCase()
      // The first of repeated fields wins, as for headers.
      if (fields[last] === undefined) fields[last] = line.slice(colon + 1).trim()
      else last = null
    }
    if (Object.keys(fields).length > 0) blocks.push(fields)
  }
  return blocks
}

function headerMap(lines: HeaderLines): Map<string, string> {
  const map = new Map<string, string>()
  for (const { key, line } of lines) {
    if (map.has(key)) continue
    const colon = line.indexOf(':')
    map.set(
      key,
      line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    )
  }
  return map
}
