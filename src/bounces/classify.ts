import type { EventKind } from '../subscribers/history.js'
import type { DeliveryStatusFields, ReturnedMail } from './returned-mail.js'

/**
 * The one classifier of returned mail. Every way in (the SMTP listener, `herald bounces ingest`, the webhooks) ends
 * here: a DSN, an ARF report or a provider's event becomes one {@link Classification}, and a status code with the
 * receiving server's words is judged by {@link classifyStatus} whichever way it came.
 *
 * "Hard" means the address itself is dead (Sisimai's sense: user or host unknown, mailbox disabled), not "any 5xx": a
 * 5.7.x refusal, a DMARC reject or a content filter is about the sender or the message, and the house rule is that
 * such failures never change a subscriber (`policy`). A full mailbox is soft whatever its class (Gmail calls it a
 * permanent failure).
 */

/** What a returned message says about the one recipient it concerns. */
export interface Classification {
  readonly kind: EventKind
  /** RFC 3463 status (`5.1.1`) when the report gave one. */
  readonly status: string | null
  /** The receiving server's words, or what the report was (at most 300 characters). */
  readonly diagnostic: string
  /** The recipient the report names (Final-Recipient, X-Failed-Recipients, Original-Rcpt-To), lower-cased, or null. */
  readonly recipient: string | null
}

/** A status code and the words around it, from a DSN, a plain-text bounce or a provider's event. */
export interface StatusInput {
  readonly status?: string | null
  readonly diagnostic?: string | null
  /**
   * What a sending service said about permanence (`true`: it gave up for good), used only when neither the code nor
   * the words decide. Returned mail says nothing reliable about it (Gmail calls a full mailbox permanent).
   */
  readonly permanent?: boolean | null
}

const ENHANCED_CODE = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/g

/** Alternatives joined into one case-insensitive pattern (each list reads as a phrase list, like Sisimai's). */
const words = (...phrases: string[]) => new RegExp(phrases.join('|'), 'i')

/** Refusals of the sender or the message (relaying, reputation, authentication, content): never the recipient's fault. */
const POLICY_WORDS = words(
  'relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)',
  'not permitted to relay',
  'sender (?:address )?(?:rejected|denied|blocked)',
  '\\bblock(?:ed|list(?:ed)?)\\b',
  'black ?list',
  'spamhaus',
  '\\bspam\\b',
  '\\brbl\\b',
  '\\b(?:dmarc|dkim|spf)\\b',
  'reputation',
  '\\bpolicy\\b',
  'not authori[sz]ed',
  'authentication (?:required|failed)',
  'content (?:rejected|filter)',
  'message (?:rejected|refused)',
  '\\bvirus\\b',
  'rate limit',
  'too many (?:messages|connections)',
)

/** The address does not exist or can no longer receive (Sisimai's userunknown/hostunknown/suspend, listmonk's words). */
const DEAD_ADDRESS_WORDS = words(
  'user(?:name)? unknown',
  'unknown (?:user|recipient|mailbox|address)',
  'no such (?:user|recipient|mailbox|address|account|person)',
  "(?:user|recipient|mailbox|address|account)(?: name)? (?:is )?(?:not found|unknown|invalid|does ?n[o']t exist|not exist)",
  "does ?n[o']t exist",
  'invalid (?:recipient|mailbox|address|user)',
  'address not found',
  'recipi?e?n?t?notfound',
  'mailbox (?:unavailable|not available|disabled|inactive|is disabled)',
  'account (?:has been |is )?(?:disabled|deactivated|closed|terminated|suspended|inactive)',
  'nxdomain',
  'host (?:or domain name )?not found',
  "domain (?:not found|does ?n[o']t exist)",
  'unrouteable address',
  'no mailbox',
)

/** A full mailbox (Sisimai's mailboxfull): soft, even with a 5xx code. */
const MAILBOX_FULL_WORDS = words(
  'mailbox (?:is )?full',
  'full mailbox',
  'over ?quota',
  'quota (?:exceeded|exceed)',
  'exceeded (?:storage|the quota|quota)',
  'storage (?:quota|allocation|space)',
  'insufficient (?:disk |system )?(?:space|storage)',
  'mail ?folder is full',
  'out of storage',
  'is over the allowed quota',
)

/** Subjects and senders of bounces that are not RFC 3464 (old Gmail, Exim, qmail…). */
const BOUNCE_SUBJECT = words(
  'undeliver',
  'delivery (?:status notification|failure|failed|has failed|problem)',
  'returned (?:mail|to sender)',
  'mail delivery failed',
  'failure notice',
  'non-?delivery',
  'could not be delivered',
  'delivery notification',
  'nicht zustellbar',
  'non remis',
)
const BOUNCE_SENDER = /^(?:mailer-daemon|postmaster|mail-?delivery(?:-?subsystem)?|maildelivery|bounces?)@/i
const AUTO_REPLY_SUBJECT = words(
  '^(?:(?:re|aw|sv|fw):\\s*)?(?:auto(?:matic)?[ -]?(?:reply|response|antwort|r[ée]ponse)|auto:|autoreply|out of (?:the )?office)',
  '^(?:(?:re|aw|sv|fw):\\s*)?(?:abwesenheit|r[ée]ponse automatique|respuesta autom[aá]tica|automatisch antwoord)',
  '^(?:(?:re|aw|sv|fw):\\s*)?(?:on vacation|vacation reply)',
  '\\((?:automatic|auto) (?:response|reply)\\)\\s*$',
)

/**
 * Judges a status code with the server's words: `hard` (the address is dead), `soft` (try again: temporary, a full
 * mailbox, or a permanent failure that does not say the address is dead), `policy` (the sender or the message was
 * refused), or `unknown` (a success code: nothing went wrong).
 */
export function classifyStatus(input: StatusInput): 'hard' | 'soft' | 'policy' | 'unknown' {
  const words = input.diagnostic ?? ''
  const code = bestCode(input.status ?? null, words)
  if (code) {
    const [kind, subject, detail] = code.split('.').map(Number) as [number, number, number]
    if (kind === 2) return 'unknown'
    // Sender's address (5.1.7, 5.1.8), protocol (x.5.x), message too big or not convertible (x.3.4, x.6.x), security
    // and policy (x.7.x): the sender's or the message's problem.
    if (subject === 7 || subject === 5 || subject === 6 || (subject === 1 && (detail === 7 || detail === 8))) return 'policy'
    if (subject === 3 && detail === 4) return 'policy'
    if (subject === 2 && (detail === 2 || detail === 3)) return detail === 2 ? 'soft' : 'policy'
    if (MAILBOX_FULL_WORDS.test(words)) return 'soft'
    if (kind === 4) return POLICY_WORDS.test(words) ? 'policy' : 'soft'
    if (subject === 1 || (subject === 2 && detail === 1)) return POLICY_WORDS.test(words) ? 'policy' : 'hard'
    if (POLICY_WORDS.test(words)) return 'policy'
    if (DEAD_ADDRESS_WORDS.test(words)) return 'hard'
    return 'soft'
  }
  if (MAILBOX_FULL_WORDS.test(words)) return 'soft'
  if (POLICY_WORDS.test(words)) return 'policy'
  if (DEAD_ADDRESS_WORDS.test(words)) return 'hard'
  // A basic reply code alone (`550 No`) says permanent or not, never why: only a service's verdict makes it hard.
  return input.permanent === true ? 'hard' : 'soft'
}

/** The most specific enhanced status code: the status field unless it is `x.0.0` and the words hold a better one. */
export function bestCode(status: string | null, words: string): string | null {
  const given = status ? (/([245])\.(\d{1,3})\.(\d{1,3})/.exec(status)?.[0] ?? null) : null
  if (given && !/\.0\.0$/.test(given)) return given
  const found = [...words.matchAll(ENHANCED_CODE)].map((match) => match[0])
  return found.find((code) => !/\.0\.0$/.test(code)) ?? given ?? found[0] ?? null
}

/**
 * Classifies a message that came back to the bounce address, in this order (CLASSIFY.md §7): a feedback report (ARF,
 * or Hotmail's JMRP), a delivery-status report (RFC 3464), a plain-text bounce, an auto-reply (RFC 3834 and the
 * de-facto headers; DSNs carry `Auto-Submitted` too, hence last), else `unknown`. `recipient` is the address the
 * message went to, when known: it picks that recipient's block of a report naming several.
 */
export function classifyReturnedMail(mail: ReturnedMail, hint: { recipient?: string | null } = {}): Classification {
  const wanted = hint.recipient?.toLowerCase() ?? null
  return (
    feedbackReport(mail) ?? deliveryStatusReport(mail, wanted) ?? plainBounce(mail, wanted) ?? autoReply(mail) ?? unknown('not a bounce')
  )
}

function feedbackReport(mail: ReturnedMail): Classification | null {
  const report = mail.feedbackReport
  if (report) {
    const type = (report['feedback-type'] ?? '').toLowerCase()
    const agent = report['user-agent'] ? ` (${report['user-agent']})` : ''
    const recipient = address(report['original-rcpt-to'] ?? report['removal-recipient'] ?? null)
    // abuse, fraud and virus are a person saying "this is spam"; auth-failure (DMARC forensic reports), not-spam and
    // other are not complaints about the subscriber's mail.
    const complaint = type === 'abuse' || type === 'fraud' || type === 'virus'
    return {
      kind: complaint ? 'complaint' : 'unknown',
      status: null,
      diagnostic: `feedback report: ${type || 'no type'}${agent}`,
      recipient,
    }
  }
  // Microsoft's JMRP (Hotmail, Outlook.com) sends the complained-about message as an attachment, without ARF fields.
  if (mail.from === 'staff@hotmail.com' && mail.hasAttachedMessage && /complaint/i.test(mail.subject)) {
    const recipient = address(/^x-hmxmroriginalrecipient:\s*(\S+)/im.exec(mail.raw)?.[1] ?? null)
    return { kind: 'complaint', status: null, diagnostic: `complaint report from ${mail.from}`, recipient }
  }
  return null
}

function deliveryStatusReport(mail: ReturnedMail, wanted: string | null): Classification | null {
  const report = mail.deliveryStatus
  if (!report || report.recipients.length === 0) return null
  const recipientOf = (block: DeliveryStatusFields) => address(block['final-recipient'] ?? block['original-recipient'] ?? null)
  const originalOf = (block: DeliveryStatusFields) => address(block['original-recipient'] ?? null)
  const block =
    (wanted && report.recipients.find((candidate) => recipientOf(candidate) === wanted || originalOf(candidate) === wanted)) ||
    report.recipients.find((candidate) => /^failed/i.test(candidate.action ?? '')) ||
    report.recipients[0]!
  const action = (block.action ?? '').toLowerCase().split(/\s/)[0] ?? ''
  const status = /([245])\.\d{1,3}\.\d{1,3}/.exec(block.status ?? '')?.[0] ?? null
  // Exchange puts the remote server's words in X-Supplementary-Info instead of Diagnostic-Code.
  const diagnostic =
    (block['diagnostic-code'] ?? block['x-supplementary-info'] ?? '').replace(/^<?[a-z-]+;\s*/i, '') ||
    mail.text.replace(/\s+/g, ' ').trim().slice(0, 300) ||
    (status ? `status ${status}` : '')
  const recipient = recipientOf(block)
  if (action === 'delayed' || (action === '' && status?.startsWith('4') && block['will-retry-until'])) {
    return { kind: 'delayed', status, diagnostic: diagnostic || 'delivery delayed', recipient }
  }
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') {
    return { kind: 'unknown', status, diagnostic: `delivery report: ${action}`, recipient }
  }
  const kind = classifyStatus({ status, diagnostic })
  return { kind: kind === 'unknown' ? 'unknown' : kind, status: bestCode(status, diagnostic), diagnostic, recipient }
}

function plainBounce(mail: ReturnedMail, wanted: string | null): Classification | null {
  const failed = mail.headers.get('x-failed-recipients')
  const looksLikeOne = failed !== undefined || (mail.from !== null && BOUNCE_SENDER.test(mail.from)) || BOUNCE_SUBJECT.test(mail.subject)
  if (!looksLikeOne) return null
  const text = mail.text
  const failedRecipients = (failed ?? '')
    .split(',')
    .map((entry) => address(entry))
    .filter((entry) => entry !== null)
  // In a report naming several recipients, what follows the one we sent to is about it.
  const at = wanted ? text.toLowerCase().indexOf(wanted) : -1
  const section = at >= 0 ? text.slice(at, at + 1000) : text.slice(0, 4000)
  const kind = classifyStatus({ diagnostic: section })
  const status = bestCode(null, section)
  return {
    kind: kind === 'unknown' ? 'soft' : kind,
    status,
    diagnostic: diagnosticLine(section, status),
    recipient: wanted && at >= 0 ? wanted : (failedRecipients[0] ?? null),
  }
}

function autoReply(mail: ReturnedMail): Classification | null {
  const submitted = mail.headers.get('auto-submitted')?.toLowerCase()
  const reasons = [
    submitted && !submitted.startsWith('no') ? `Auto-Submitted: ${submitted}` : null,
    mail.headers.has('x-autoreply') ? 'X-Autoreply' : null,
    mail.headers.has('x-autorespond') ? 'X-Autorespond' : null,
    /^auto_reply$/i.test(mail.headers.get('precedence') ?? '') ? 'Precedence: auto_reply' : null,
    /\b(?:oof|autoreply)\b/i.test(mail.headers.get('x-auto-response-suppress') ?? '') ? 'X-Auto-Response-Suppress' : null,
    AUTO_REPLY_SUBJECT.test(mail.subject.trim()) ? `subject "${mail.subject.trim().slice(0, 80)}"` : null,
  ].filter((reason) => reason !== null)
  if (reasons.length === 0) return null
  return { kind: 'auto_reply', status: null, diagnostic: `auto-reply: ${reasons[0]}`, recipient: null }
}

function unknown(why: string): Classification {
  return { kind: 'unknown', status: null, diagnostic: why, recipient: null }
}

/** The line of a plain-text bounce that carries its status (or its first words), tidied. */
function diagnosticLine(section: string, status: string | null): string {
  const text = section.replace(/\s+/g, ' ').trim()
  if (status) {
    const at = text.indexOf(status)
    return text.slice(Math.max(0, at - 60), at + 140).trim()
  }
  const words = MAILBOX_FULL_WORDS.exec(text) ?? DEAD_ADDRESS_WORDS.exec(text) ?? POLICY_WORDS.exec(text)
  return words ? text.slice(Math.max(0, words.index - 80), words.index + 160).trim() : text.slice(0, 200)
}

/** `rfc822; Ann@Example.org` or `<ann@example.org>` → `ann@example.org`; null when there is no address. */
function address(value: string | null): string | null {
  if (!value) return null
  const bare = value.replace(/^[a-z0-9-]+;\s*/i, '').trim()
  const match = /<?([^\s<>;,]+@[^\s<>;,]+?)>?$/.exec(bare)
  return match ? match[1]!.toLowerCase() : null
}
