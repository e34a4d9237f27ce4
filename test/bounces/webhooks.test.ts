import { createHmac, generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { mailgunReports, verifyMailgun } from '../../src/bounces/webhooks/mailgun.js'
import { postmarkAuthorized, postmarkReports } from '../../src/bounces/webhooks/postmark.js'
import { sendgridKey, sendgridReports, verifySendgrid } from '../../src/bounces/webhooks/sendgrid.js'
import { sesReports } from '../../src/bounces/webhooks/ses.js'
import { isSnsUrl, SnsVerifier, stringToSign } from '../../src/bounces/webhooks/sns.js'
import { webhookFixture } from '../support/bounces.js'
import { fakeCertificateFetch, SNS_CERT_URL, SNS_TOPIC, signedSnsMessage, trustTestCa } from '../support/sns.js'

const json = (name: string) => JSON.parse(webhookFixture(name)) as Record<string, unknown>

describe('Amazon SNS signatures (SES webhooks)', () => {
  const verifier = (fetch = fakeCertificateFetch()) =>
    new SnsVerifier({ topicArns: [SNS_TOPIC], fetchCertificate: fetch.fetch, trustCertificate: trustTestCa })
  const notification = (extra: Record<string, string> = {}) => ({
    Type: 'Notification',
    Message: '{"notificationType":"Bounce"}',
    ...extra,
  })

  it('builds the string to sign of the AWS guide, Subject included when present', () => {
    const sample = json('ses-sns-notification.json')
    expect(stringToSign(sample, ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'])).toBe(
      'Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n' +
        'Timestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n',
    )
  })

  it('accepts SignatureVersion 1 (SHA1) and 2 (SHA256) signed by a trusted certificate, fetched once', async () => {
    const fetch = fakeCertificateFetch()
    const sns = verifier(fetch)
    for (const version of ['1', '2'] as const) {
      const verified = await sns.verify(signedSnsMessage(notification({ Subject: 'Amazon SES Email Event Notification' }), { version }))
      expect(verified).toMatchObject({ type: 'Notification', topicArn: SNS_TOPIC, message: '{"notificationType":"Bounce"}' })
    }
    expect(fetch.asked).toEqual([SNS_CERT_URL])
  })

  it('refuses a changed message, another topic, a stale one, unknown versions and the documentation sample', async () => {
    const sns = verifier()
    const signed = signedSnsMessage(notification())
    await expect(sns.verify({ ...signed, Message: '{"notificationType":"Complaint"}' })).rejects.toThrow(/bad signature/)
    await expect(sns.verify(signedSnsMessage(notification({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:other' })))).rejects.toThrow(
      /topic/,
    )
    const old = new Date(Date.now() - 2 * 86_400_000).toISOString()
    await expect(sns.verify(signedSnsMessage(notification({ Timestamp: old })))).rejects.toThrow(/stale/)
    await expect(sns.verify({ ...signed, SignatureVersion: '3' })).rejects.toThrow(/SignatureVersion/)
    const { Signature: _signature, ...unsigned } = signed
    await expect(sns.verify(unsigned)).rejects.toThrow(/no signature/)
    // The AWS guide's example, pointed at our certificate: its "EXAMPLE…" signature is not a signature.
    const sample = {
      ...json('ses-sns-notification.json'),
      TopicArn: SNS_TOPIC,
      SigningCertURL: SNS_CERT_URL,
      Timestamp: new Date().toISOString(),
    }
    await expect(sns.verify(sample)).rejects.toThrow(/bad signature/)
  })

  it('never fetches a certificate from anywhere but an SNS host over HTTPS', async () => {
    const fetch = fakeCertificateFetch()
    const sns = verifier(fetch)
    for (const url of [
      'http://sns.eu-west-1.amazonaws.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem',
      'https://my-bucket.s3.amazonaws.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com/cert.pem?x=1',
      'https://user:pass@sns.eu-west-1.amazonaws.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com:8443/cert.pem',
      'https://sns.eu-west-1.amazonaws.com/cert.txt',
    ]) {
      await expect(sns.verify(signedSnsMessage(notification(), { certUrl: url })), url).rejects.toThrow(/not Amazon SNS's/)
    }
    expect(fetch.asked).toEqual([])
    expect(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem', { pem: true })).toBe(true)
  })

  it('refuses a certificate its trust does not accept: another issuer, or the test CA under the default (Amazon) trust', async () => {
    const strangerUrl = 'https://sns.eu-west-1.amazonaws.com/stranger.pem'
    await expect(verifier().verify(signedSnsMessage(notification(), { certUrl: strangerUrl, stranger: true }))).rejects.toThrow(
      /not Amazon SNS's/,
    )
    const withDefaultTrust = new SnsVerifier({ topicArns: [SNS_TOPIC], fetchCertificate: fakeCertificateFetch().fetch })
    await expect(withDefaultTrust.verify(signedSnsMessage(notification()))).rejects.toThrow(/is not Amazon SNS's/)
  })

  it('verifies subscription confirmations and checks their SubscribeURL', async () => {
    const confirmation = {
      Type: 'SubscriptionConfirmation',
      Token: 'token-123',
      Message: 'You have chosen to subscribe to the topic.\nTo confirm the subscription, visit the SubscribeURL.',
      SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SNS_TOPIC}&Token=token-123`,
    }
    expect(await verifier().verify(signedSnsMessage(confirmation))).toMatchObject({ type: 'SubscriptionConfirmation' })
    const elsewhere = { ...confirmation, SubscribeURL: 'https://attacker.example/?Action=ConfirmSubscription' }
    await expect(verifier().verify(signedSnsMessage(elsewhere))).rejects.toThrow(/SubscribeURL/)
  })
})

describe('SES notifications (the SNS Message)', () => {
  it('reads the documentation examples: bounces with and without a DSN, complaints with and without a feedback report', () => {
    expect(sesReports(json('ses-bounce-with-dsn.json'))).toEqual([
      expect.objectContaining({ source: 'ses', kind: 'hard', status: '5.1.1', recipient: 'jane@example.com', vouched: true }),
    ])
    expect(sesReports(json('ses-bounce-without-dsn.json')).map((report) => [report.kind, report.recipient])).toEqual([
      ['hard', 'jane@example.com'],
      ['hard', 'richard@example.com'],
    ])
    const complaint = sesReports(json('ses-complaint-with-feedback-report.json'))
    expect(complaint).toEqual([expect.objectContaining({ kind: 'complaint', recipient: 'richard@example.com' })])
    expect(complaint[0]!.diagnostic).toContain('abuse')
    expect(sesReports(json('ses-complaint-without-feedback-report.json'))).toEqual([expect.objectContaining({ kind: 'complaint' })])
    // The envelope sender (mail.source) and the Message-ID are what tie a notification to Herald's message.
    expect(complaint[0]!.references).toMatchObject({
      addresses: ['john@example.com'],
      messageIds: ['custom-message-ID', 'custom-message-ID'],
    })
  })

  it('maps SES bounce types: transient ones are soft, out-of-office replies (Transient/General without a status) change nothing', () => {
    const bounce = (bounceType: string, bounceSubType: string, recipient: Record<string, string> = {}) =>
      sesReports({
        notificationType: 'Bounce',
        bounce: { bounceType, bounceSubType, bouncedRecipients: [{ emailAddress: 'a@x.example', ...recipient }] },
      })[0]!.kind
    expect(bounce('Transient', 'MailboxFull')).toBe('soft')
    expect(bounce('Transient', 'General', { status: '4.4.7', diagnosticCode: 'smtp; 450 4.4.7 expired' })).toBe('soft')
    expect(bounce('Transient', 'General')).toBe('unknown')
    expect(bounce('Transient', 'ContentRejected')).toBe('policy')
    expect(bounce('Permanent', 'Suppressed')).toBe('hard')
    expect(bounce('Permanent', 'General', { status: '5.7.1', diagnosticCode: 'smtp; 550 5.7.1 blocked by policy' })).toBe('policy')
    expect(bounce('Undetermined', 'Undetermined')).toBe('unknown')
    expect(
      sesReports({
        notificationType: 'Complaint',
        complaint: { complaintFeedbackType: 'not-spam', complainedRecipients: [{ emailAddress: 'a@x.example' }] },
      })[0]!.kind,
    ).toBe('unknown')
    expect(sesReports({ notificationType: 'Delivery', delivery: {} })).toEqual([])
  })
})

describe('Postmark webhooks', () => {
  it('checks HTTP Basic credentials in constant time', () => {
    const header = `Basic ${Buffer.from('postmark:s3cret').toString('base64')}`
    expect(postmarkAuthorized(header, 'postmark:s3cret')).toBe(true)
    expect(postmarkAuthorized(header, 'postmark:other')).toBe(false)
    expect(postmarkAuthorized(undefined, 'postmark:s3cret')).toBe(false)
    expect(postmarkAuthorized('Bearer x', 'postmark:s3cret')).toBe(false)
  })

  it('reads bounce and spam-complaint examples, keeping the 64-bit ID exact', () => {
    const bounce = postmarkReports(webhookFixture('postmark-bounce.json'))
    expect(bounce).toEqual([expect.objectContaining({ source: 'postmark', kind: 'hard', recipient: 'john@example.com' })])
    expect(bounce[0]!.eventId).toBe('Bounce:4323372036854775807')
    expect(postmarkReports(webhookFixture('postmark-spam-complaint.json'))).toEqual([expect.objectContaining({ kind: 'complaint' })])
    expect(postmarkReports(webhookFixture('postmark-bounce-legacy-marketing-page.json'))).toEqual([
      expect.objectContaining({ kind: 'hard' }),
    ])
    const type = (Type: string) => postmarkReports(JSON.stringify({ RecordType: 'Bounce', ID: 1, Type, Email: 'a@x.example' }))[0]!.kind
    expect([type('SoftBounce'), type('AutoResponder'), type('DMARCPolicy'), type('ManuallyDeactivated')]).toEqual([
      'soft',
      'auto_reply',
      'policy',
      'unknown',
    ])
    expect(postmarkReports(JSON.stringify({ RecordType: 'Delivery', ID: 2 }))).toEqual([])
  })
})

describe('Mailgun webhooks', () => {
  const key = 'key-0123456789abcdef'
  const signed = (timestamp: number, token = 'x'.repeat(50), signingKey = key) => ({
    timestamp: String(timestamp),
    token,
    signature: createHmac('sha256', signingKey).update(`${timestamp}${token}`).digest('hex'),
  })
  const now = new Date()
  const seconds = Math.floor(now.getTime() / 1000)

  it('accepts an HMAC of timestamp and token made with the signing key, or the parent account key of a subaccount', () => {
    expect(verifyMailgun({ signature: signed(seconds) }, key, now)).toEqual({ ok: true, token: 'x'.repeat(50) })
    const subaccount = {
      ...signed(seconds, 'y'.repeat(50), 'key-of-the-subaccount'),
      'parent-signature': signed(seconds, 'y'.repeat(50)).signature,
    }
    expect(verifyMailgun({ signature: subaccount }, key, now)).toMatchObject({ ok: true })
  })

  it('refuses another key, no signature, a stale timestamp, and the documentation example', () => {
    expect(verifyMailgun({ signature: signed(seconds, undefined, 'key-wrong') }, key, now)).toEqual({ ok: false, reason: 'bad signature' })
    expect(verifyMailgun({}, key, now)).toEqual({ ok: false, reason: 'no signature' })
    expect(verifyMailgun({ signature: signed(seconds - 3600) }, key, now)).toEqual({ ok: false, reason: 'stale signature' })
    expect(verifyMailgun(json('mailgun-failed-permanent.derived.json'), key, now)).toMatchObject({ ok: false })
  })

  it('reads failed (permanent, temporary) and complained events', () => {
    expect(mailgunReports(json('mailgun-failed-permanent.derived.json'))).toEqual([
      expect.objectContaining({ source: 'mailgun', kind: 'hard', status: '5.1.1', recipient: 'invalid@example.com' }),
    ])
    expect(mailgunReports(json('mailgun-failed-temporary.derived.json'))).toEqual([expect.objectContaining({ kind: 'soft' })])
    const complained = mailgunReports(json('mailgun-complained.derived.json'))
    expect(complained).toEqual([expect.objectContaining({ kind: 'complaint', recipient: 'recipient@example.com' })])
    expect(complained[0]!.references.messageIds).toEqual(['<20130718032413.263EE2E0926@example.org>'])
    expect(mailgunReports({ 'event-data': { event: 'delivered' } })).toEqual([])
  })
})

describe('SendGrid webhooks', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const key = sendgridKey(pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'))
  const body = Buffer.from(webhookFixture('sendgrid-bounce.json'))
  const now = new Date()
  const timestamp = String(Math.floor(now.getTime() / 1000))
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), { key: pair.privateKey, dsaEncoding: 'der' }).toString(
    'base64',
  )

  it('verifies ECDSA over the timestamp and the exact body bytes', () => {
    expect(verifySendgrid(body, { signature, timestamp }, key, now)).toEqual({ ok: true })
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())))
    expect(verifySendgrid(reserialised, { signature, timestamp }, key, now)).toEqual({ ok: false, reason: 'bad signature' })
    expect(verifySendgrid(body, { signature, timestamp: String(Number(timestamp) + 1) }, key, now)).toMatchObject({ ok: false })
    expect(verifySendgrid(body, { signature: undefined, timestamp }, key, now)).toEqual({ ok: false, reason: 'no signature' })
    const later = new Date(now.getTime() + 3600_000)
    expect(verifySendgrid(body, { signature, timestamp }, key, later)).toEqual({ ok: false, reason: 'stale signature' })
    expect(() => sendgridKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64'))).toThrow(
      /P-256/,
    )
  })

  it('reads the documentation events: bounce, blocked, dropped, deferred, spam report', () => {
    const kinds = (name: string) => sendgridReports(JSON.parse(webhookFixture(name))).map((report) => report.kind)
    expect(kinds('sendgrid-bounce.json')).toEqual(['hard'])
    expect(kinds('sendgrid-blocked.json')).toEqual(['soft'])
    expect(kinds('sendgrid-dropped.json')).toEqual(['hard'])
    expect(kinds('sendgrid-deferred.json')).toEqual(['delayed'])
    expect(kinds('sendgrid-spamreport.json')).toEqual(['complaint'])
    const [report] = sendgridReports(JSON.parse(webhookFixture('sendgrid-bounce.json')))
    expect(report).toMatchObject({
      recipient: 'example@test.com',
      eventId: '6g4ZI7SA-xmRDv57GoPIPw==',
      references: { messageIds: ['<14c5d75ce93.dfd.64b469@ismtpd-555>'] },
    })
  })
})
