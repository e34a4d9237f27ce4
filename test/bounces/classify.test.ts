import { describe, expect, it } from 'vitest'
import { type Classification, classifyReturnedMail, classifyStatus } from '../../src/bounces/classify.js'
import { readReturnedMail } from '../../src/bounces/returned-mail.js'
import { bounceFixture, flipLineEnds, SAMPLE_RECIPIENTS } from '../support/bounces.js'

/** What each real sample is (test/fixtures/bounces/SOURCES.md), and why. */
const EXPECTED: Record<string, Pick<Classification, 'kind' | 'status'>> = {
  // Gmail: plain text (2010), RFC 3464 (G Suite), and a full mailbox Gmail calls "permanent" but that is not a dead address.
  'dsn/gmail-01-plaintext-user-unknown.eml': { kind: 'hard', status: '5.1.1' },
  'dsn/gmail-02-rfc3464-address-not-found.eml': { kind: 'hard', status: '5.1.0' },
  'dsn/gmail-03-soft-storage-quota-exceeded.eml': { kind: 'soft', status: null },
  // Outlook.com / Hotmail, Exchange and Office 365.
  'dsn/outlook-01-hotmail-mailbox-full-5.2.2.eml': { kind: 'soft', status: '5.2.2' },
  'dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml': { kind: 'hard', status: '5.1.1' },
  'dsn/exchange-01-ndr-user-unknown-5.1.1.eml': { kind: 'hard', status: '5.1.1' },
  'dsn/exchange-02-delayed-4.4.7.eml': { kind: 'delayed', status: '4.4.7' },
  'dsn/office365-01-ndr-5.1.10-recipient-not-found.eml': { kind: 'hard', status: '5.1.10' },
  // Postfix: DMARC rejects are the sender's problem; Office 365's "Access denied" (5.4.1) is not clearly a dead address.
  'dsn/postfix-01-dmarc-reject-5.7.26-from-gmail.eml': { kind: 'policy', status: '5.7.26' },
  'dsn/postfix-02-dmarc-reject-5.7.1-from-icloud.eml': { kind: 'policy', status: '5.7.1' },
  'dsn/postfix-03-verp-o365-recipient-rejected-5.4.1.eml': { kind: 'soft', status: '5.4.1' },
  // Exim: plain text; the second recipient of the two has its own code.
  'dsn/exim-01-two-recipients-user-unknown.eml': { kind: 'hard', status: '5.2.1' },
  'dsn/exim-02-recipient-address-rejected.eml': { kind: 'policy', status: '5.7.1' },
  // Auto-replies change nothing, whether they say so in a header or only in the subject.
  'dsn/autoreply-01-outlook-out-of-office-subject-only.eml': { kind: 'auto_reply', status: null },
  'dsn/autoreply-02-aol-auto-submitted-auto-replied.eml': { kind: 'auto_reply', status: null },
  'dsn/autoreply-03-zimbra-vacation-verp.eml': { kind: 'auto_reply', status: null },
  // ARF: abuse reports are complaints, Hotmail's non-ARF JMRP too; a DMARC failure report is not.
  'arf/arf-01-terra-returnpath-fbl-abuse.eml': { kind: 'complaint', status: null },
  'arf/arf-02-bluetie-abuse-multi-rcpt.eml': { kind: 'complaint', status: null },
  'arf/arf-03-abusix-spamtrap-abuse.eml': { kind: 'complaint', status: null },
  'arf/arf-04-minimal-draft-style-abuse.eml': { kind: 'complaint', status: null },
  'arf/arf-05-hotmail-jmrp-non-arf-multipart-mixed.eml': { kind: 'complaint', status: null },
  'arf/arf-06-dmarc-auth-failure-not-a-complaint.eml': { kind: 'unknown', status: null },
}

describe('classifying real returned mail', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.kind}${expected.status ? ` ${expected.status}` : ''}, read with either line ends`, async () => {
      const raw = bounceFixture(name)
      for (const variant of [raw, flipLineEnds(raw)]) {
        const classification = classifyReturnedMail(await readReturnedMail(variant), { recipient: SAMPLE_RECIPIENTS[name] ?? null })
        expect(classification).toMatchObject(expected)
        expect(classification.diagnostic).not.toBe('')
        if (SAMPLE_RECIPIENTS[name] && expected.kind !== 'auto_reply') expect(classification.recipient).toBe(SAMPLE_RECIPIENTS[name])
      }
    })
  }

  it('picks the block of the recipient it is asked about in a report naming several', async () => {
    const mail = await readReturnedMail(bounceFixture('dsn/exim-01-two-recipients-user-unknown.eml'))
    expect(classifyReturnedMail(mail, { recipient: 'kijitora@example.jp' })).toMatchObject({ kind: 'hard', status: '5.1.1' })
    expect(classifyReturnedMail(mail, { recipient: 'sabatora@example.jp' })).toMatchObject({ kind: 'hard', status: '5.2.1' })
  })
})

describe('classifyStatus: hard only when the address is dead, never for the sender or the message', () => {
  const cases: Array<[string | null, string, boolean | null, string]> = [
    ['5.1.1', '550 5.1.1 <a@b.example>: Recipient address rejected: User unknown', null, 'hard'],
    ['5.0.0', '550 #5.1.0 Address rejected.', null, 'hard'],
    ['5.2.1', 'mailbox disabled', null, 'hard'],
    ['5.1.10', 'RESOLVER.ADR.RecipientNotFound', null, 'hard'],
    ['5.2.2', '552 5.2.2 Mailbox full', null, 'soft'],
    ['5.1.1', '550 5.1.1 mailbox is full', null, 'soft'],
    ['4.2.2', 'over quota', null, 'soft'],
    ['4.4.1', 'connection timed out', null, 'soft'],
    ['5.4.1', 'Recipient address rejected: Access denied', null, 'soft'],
    ['5.7.1', 'Recipient address rejected: Access denied', null, 'policy'],
    ['5.7.26', 'Unauthenticated email is not accepted due to DMARC policy', null, 'policy'],
    ['5.1.8', 'Sender address rejected: Domain not found', null, 'policy'],
    ['5.3.4', 'Message too big', null, 'policy'],
    [null, '554 Relay access denied', null, 'policy'],
    [null, '550 5.7.1 Service unavailable; Client host blocked using Spamhaus', null, 'policy'],
    [null, 'Storage quota exceeded', true, 'soft'],
    [null, '500 unknown recipient', null, 'hard'],
    [null, 'Test bounce details', true, 'hard'],
    [null, 'Test bounce details', null, 'soft'],
    ['2.0.0', 'delivered', null, 'unknown'],
  ]
  for (const [status, diagnostic, permanent, kind] of cases) {
    it(`${status ?? '(no code)'} "${diagnostic}"${permanent ? ' (provider: permanent)' : ''} → ${kind}`, () => {
      expect(classifyStatus({ status, diagnostic, permanent })).toBe(kind)
    })
  }
})
