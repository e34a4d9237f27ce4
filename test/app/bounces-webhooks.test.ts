import { createHmac, generateKeyPairSync, sign } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetricsRegistry, registerBounceMetrics } from '../../src/app/metrics.js'
import { openServices, type SiteServices } from '../../src/app/services.js'
import { Webhooks } from '../../src/app/webhooks.js'
import { SnsVerifier } from '../../src/bounces/webhooks/sns.js'
import { loadConfig } from '../../src/config-load.js'
import { createServer } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { type BounceSite, startBounceSite } from '../support/bounce-site.js'
import { webhookFixture } from '../support/bounces.js'
import { fakeCertificateFetch, SNS_CERT_URL, SNS_TOPIC, signedSnsMessage, trustTestCa } from '../support/sns.js'

// The subscribers are the recipients of the providers' documentation examples, so the examples apply to them as
// they are; only what ties an event to one of Herald's messages (envelope sender, Message-ID, time) is filled in.
const JANE = 'jane@example.com' // SES bounce
const RICHARD = 'richard@example.com' // SES complaint
const JOHN = 'john@example.com' // Postmark bounce and spam complaint
const INVALID = 'invalid@example.com' // Mailgun permanent failure
const NOMX = 'undeliverable@nomx.example.com' // Mailgun temporary failure
const RECIPIENT = 'recipient@example.com' // Mailgun complaint
const SENDGRID = 'example@test.com' // SendGrid bounce and spam report
const BYSTANDER = 'mary@example.com'

const POSTMARK_AUTH = 'postmark:a-long-random-password-for-tests'
const MAILGUN_KEY = 'key-mailgun-signing-0123456789'
const sendgridPair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })

let site: BounceSite
let services: SiteServices
let app: FastifyInstance
let base: string
const confirmed: string[] = []

beforeAll(async () => {
  site = await startBounceSite({
    subscribers: [JANE, RICHARD, JOHN, INVALID, NOMX, RECIPIENT, SENDGRID, BYSTANDER],
    // These tests are about the webhooks, not floods: every address here is at example.com.
    bounces: 'flood_min: 100',
    label: 'bhook',
  })
  const env = {
    ...site.env,
    HERALD_SES_TOPIC_ARN: SNS_TOPIC,
    HERALD_POSTMARK_WEBHOOK_AUTH: POSTMARK_AUTH,
    HERALD_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
    HERALD_SENDGRID_VERIFICATION_KEY: sendgridPair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  }
  const config = await loadConfig(site.dir, env)
  const logger = silentLogger()
  services = await openServices({ config, logger })
  const metrics = createMetricsRegistry()
  registerBounceMetrics(metrics, services.bounceStore, logger)
  const webhooks = new Webhooks({
    secrets: config.env.webhooks,
    bounces: services.bounces,
    store: services.bounceStore,
    logger,
    sns: new SnsVerifier({ topicArns: [SNS_TOPIC], fetchCertificate: fakeCertificateFetch().fetch, trustCertificate: trustTestCa }),
    confirmSubscription: async (url) => void confirmed.push(url),
  })
  app = await createServer({ config, subscriptions: services.subscriptions, redis: services.redis.redis, logger, metrics, webhooks })
  base = await app.listen({ host: '127.0.0.1', port: 0 })
})

afterAll(async () => {
  await app?.close()
  await services?.close()
  await site?.close()
})

const post = (provider: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${base}/webhooks/${provider}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': 'application/json', ...headers },
  })
const sns = (message: Record<string, string>) => post('ses', JSON.stringify(message), { 'content-type': 'text/plain; charset=UTF-8' })
const basic = (credentials: string) => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` })
const mailgunSignature = (key = MAILGUN_KEY, timestamp = Math.floor(Date.now() / 1000), token = crypto.randomUUID().repeat(2)) => ({
  timestamp: String(timestamp),
  token,
  signature: createHmac('sha256', key).update(`${timestamp}${token}`).digest('hex'),
})
const sendgridHeaders = (body: Buffer, privateKey = sendgridPair.privateKey, timestamp = String(Math.floor(Date.now() / 1000))) => ({
  'x-twilio-email-event-webhook-timestamp': timestamp,
  'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), {
    key: privateKey,
    dsaEncoding: 'der',
  }).toString('base64'),
})

/** An SES example notification (the SNS Message), tied to the digest Herald sent `email` by its envelope sender. */
function sesNotification(name: string, email: string, by: 'verp' | 'message-id' = 'verp'): string {
  const notification = JSON.parse(webhookFixture(name)) as { mail: Record<string, unknown> }
  if (by === 'verp') notification.mail.source = site.verp(email)
  else notification.mail.commonHeaders = { ...(notification.mail.commonHeaders as object), messageId: site.messageId(email) }
  return JSON.stringify(notification)
}

const reactivate = async (email: string) => {
  const subscriber = (await site.subscribers.getByEmail(email))!
  if (subscriber.status === 'bounced') await site.subscribers.reactivate(subscriber.id, 'test')
  else if (subscriber.status !== 'active') await site.subscribers.subscribe({ email, confirmed: true, consent: { source: 'cli' } })
}

describe('POST /webhooks/ses (SES through SNS)', () => {
  it('confirms the SNS subscription, then applies a bounce and a complaint', async () => {
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SNS_TOPIC}&Token=abc`
    const confirmation = signedSnsMessage({
      Type: 'SubscriptionConfirmation',
      Token: 'abc',
      Message: 'Confirm it.',
      SubscribeURL: subscribeUrl,
    })
    expect((await sns(confirmation)).status).toBe(200)
    expect(confirmed).toEqual([subscribeUrl])

    const bounce = await sns(
      signedSnsMessage({ Type: 'Notification', Message: sesNotification('ses-bounce-with-dsn.json', JANE) }, { version: '1' }),
    )
    expect(bounce.status).toBe(200)
    expect(await bounce.json()).toEqual({ status: 'ok', events: 1, outcomes: { bounced: 1 } })
    expect(await site.status(JANE)).toBe('bounced')
    expect((await site.events(JANE))[0]).toMatchObject({ kind: 'hard', status: '5.1.1', source: 'ses', outcome: 'bounced' })
    expect(await site.status(BYSTANDER)).toBe('active')

    const complaint = await sns(
      signedSnsMessage({
        Type: 'Notification',
        Message: sesNotification('ses-complaint-with-feedback-report.json', RICHARD, 'message-id'),
      }),
    )
    expect(await complaint.json()).toMatchObject({ outcomes: { unsubscribed: 1 } })
    expect(await site.subscribers.getByEmail(RICHARD)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
  })

  it('refuses forged, replayed and stale messages with nothing changed, and fetches no certificate from elsewhere', async () => {
    await reactivate(JANE)
    const message = signedSnsMessage({ Type: 'Notification', Message: sesNotification('ses-bounce-without-dsn.json', JANE) })
    expect((await sns({ ...message, Message: message.Message!.replace('Permanent', 'Transient') })).status).toBe(401)
    expect((await sns({ ...message, SigningCertURL: 'https://attacker.example/cert.pem' })).status).toBe(401)
    expect((await sns({ ...message, TopicArn: 'arn:aws:sns:eu-west-1:123456789012:another' })).status).toBe(401)
    const { Signature: _signature, ...unsigned } = message
    expect((await sns(unsigned)).status).toBe(401)
    const stale = signedSnsMessage({ Type: 'Notification', Message: message.Message!, Timestamp: '2020-01-01T00:00:00.000Z' })
    expect((await sns(stale)).status).toBe(401)
    expect(await site.status(JANE)).toBe('active')

    expect((await sns(message)).status).toBe(200)
    expect(await site.status(JANE)).toBe('bounced')
    await reactivate(JANE)
    const replay = await sns(message)
    expect(replay.status).toBe(409)
    expect(await site.status(JANE)).toBe('active')
    expect(SNS_CERT_URL).toMatch(/^https:\/\/sns\./)
  })
})

describe('POST /webhooks/postmark', () => {
  it('applies a bounce and a spam complaint sent with the right credentials; refuses others and replays', async () => {
    const now = new Date().toISOString()
    // Postmark's payload names neither Herald's envelope sender nor its Message-ID: the send to that address is found.
    const bounce = webhookFixture('postmark-bounce.json').replace('2019-11-05T16:33:54.9070259Z', now)
    expect((await post('postmark', bounce)).status).toBe(401)
    expect((await post('postmark', bounce, basic('postmark:wrong'))).status).toBe(401)
    expect((await post('postmark', bounce, basic(POSTMARK_AUTH.replace(':', '')))).status).toBe(401)
    const broken = await post('postmark', bounce.slice(0, -20), basic(POSTMARK_AUTH))
    expect(broken.status).toBe(400)
    expect(await broken.json()).toEqual({ error: 'not JSON' })
    expect(await site.status(JOHN)).toBe('active')

    const accepted = await post('postmark', bounce, basic(POSTMARK_AUTH))
    expect(await accepted.json()).toMatchObject({ outcomes: { bounced: 1 } })
    expect((await site.events(JOHN))[0]).toMatchObject({ kind: 'hard', source: 'postmark', editionId: site.edition() })
    await reactivate(JOHN)
    expect((await post('postmark', bounce, basic(POSTMARK_AUTH))).status).toBe(409)
    expect(await site.status(JOHN)).toBe('active')

    const complaint = webhookFixture('postmark-spam-complaint.json').replace('2019-11-05T16:33:54.9070259Z', now)
    expect(await (await post('postmark', complaint, basic(POSTMARK_AUTH))).json()).toMatchObject({ outcomes: { unsubscribed: 1 } })
    expect(await site.subscribers.getByEmail(JOHN)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
  })
})

describe('POST /webhooks/mailgun', () => {
  /** A Mailgun event example with a fresh signature and the Message-ID of Herald's digest to `email`. */
  function event(name: string, email: string, signature = mailgunSignature()): string {
    const body = JSON.parse(webhookFixture(name)) as { signature: unknown; 'event-data': { message: { headers: Record<string, string> } } }
    body.signature = signature
    body['event-data'].message.headers['message-id'] = site.messageId(email).replace(/^<|>$/g, '')
    return JSON.stringify(body)
  }

  it('applies permanent failures and complaints, counts temporary ones; refuses bad, stale and replayed signatures', async () => {
    expect((await post('mailgun', event('mailgun-failed-permanent.derived.json', INVALID, mailgunSignature('key-wrong')))).status).toBe(401)
    const stale = mailgunSignature(MAILGUN_KEY, Math.floor(Date.now() / 1000) - 3600)
    expect((await post('mailgun', event('mailgun-failed-permanent.derived.json', INVALID, stale))).status).toBe(401)
    // The documentation's signature block, as it is: its signature is not ours.
    expect((await post('mailgun', webhookFixture('mailgun-failed-permanent.derived.json'))).status).toBe(401)
    expect(await site.status(INVALID)).toBe('active')

    const failed = event('mailgun-failed-permanent.derived.json', INVALID)
    expect(await (await post('mailgun', failed)).json()).toMatchObject({ outcomes: { bounced: 1 } })
    await reactivate(INVALID)
    expect((await post('mailgun', failed)).status).toBe(409)
    expect(await site.status(INVALID)).toBe('active')

    expect(await (await post('mailgun', event('mailgun-failed-temporary.derived.json', NOMX))).json()).toMatchObject({
      outcomes: { counted: 1 },
    })
    expect(await site.status(NOMX)).toBe('active')
    expect(await (await post('mailgun', event('mailgun-complained.derived.json', RECIPIENT))).json()).toMatchObject({
      outcomes: { unsubscribed: 1 },
    })
    expect(await site.status(RECIPIENT)).toBe('unsubscribed')
  })
})

describe('POST /webhooks/sendgrid', () => {
  it('applies a signed batch (a bounce, a spam report); refuses a bad signature, a changed body and a replay', async () => {
    const now = Math.floor(Date.now() / 1000)
    const bounce = JSON.parse(webhookFixture('sendgrid-bounce.json'))[0] as Record<string, unknown>
    const spam = JSON.parse(webhookFixture('sendgrid-spamreport.json'))[0] as Record<string, unknown>
    // The bounce keeps SendGrid's own smtp-id (found by the send to that address); the report carries Herald's Message-ID.
    const body = Buffer.from(
      JSON.stringify([
        { ...bounce, timestamp: now },
        { ...spam, timestamp: now, 'smtp-id': site.messageId(SENDGRID) },
      ]),
    )
    const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
    expect((await post('sendgrid', body, sendgridHeaders(body, stranger))).status).toBe(401)
    expect((await post('sendgrid', Buffer.from(body.toString().replace('bounce', 'delivered')), sendgridHeaders(body))).status).toBe(401)
    expect((await post('sendgrid', body)).status).toBe(401)
    expect(await site.status(SENDGRID)).toBe('active')

    const headers = sendgridHeaders(body)
    const accepted = await post('sendgrid', body, headers)
    expect(await accepted.json()).toMatchObject({ events: 2, outcomes: { bounced: 1, unsubscribed: 1 } })
    // Bounced first, then the spam report: a complaint unsubscribes even a bounced subscriber (a reactivation must not mail them).
    expect(await site.subscribers.getByEmail(SENDGRID)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
    expect((await site.events(SENDGRID)).map((event) => event.kind)).toEqual(['complaint', 'hard'])
    expect((await post('sendgrid', body, headers)).status).toBe(409)
  })
})

describe('webhooks in general', () => {
  it('answers 404 for a provider that is not configured or not known, and changes nothing for an address never sent to', async () => {
    const config = await loadConfig(site.dir, site.env)
    const bare = await createServer({
      config,
      subscriptions: services.subscriptions,
      redis: services.redis.redis,
      logger: silentLogger(),
      webhooks: new Webhooks({
        secrets: config.env.webhooks,
        bounces: services.bounces,
        store: services.bounceStore,
        logger: silentLogger(),
      }),
    })
    try {
      expect((await bare.inject({ method: 'POST', url: '/webhooks/mailgun', payload: '{}' })).statusCode).toBe(404)
    } finally {
      await bare.close()
    }
    expect((await post('sparkpost', '{}')).status).toBe(404)
    const stranger = webhookFixture('postmark-bounce.json')
      .replace('john@example.com', 'nobody@example.com')
      .replace('4323372036854775807', '7')
    expect(await (await post('postmark', stranger, basic(POSTMARK_AUTH))).json()).toMatchObject({ outcomes: { unattributed: 1 } })
  })

  it('counts bounces and complaints by kind and source in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toMatch(/^herald_bounces_total\{kind="hard",source="ses"\} [1-9]/m)
    expect(text).toMatch(/^herald_bounces_total\{kind="hard",source="postmark"\} [1-9]/m)
    expect(text).toMatch(/^herald_bounces_total\{kind="soft",source="mailgun"\} 1$/m)
    expect(text).toMatch(/^herald_complaints_total\{source="ses"\} 1$/m)
    expect(text).toMatch(/^herald_complaints_total\{source="sendgrid"\} 1$/m)
    expect(text).toMatch(/^herald_bounce_outcomes_total\{outcome="unattributed"\} [1-9]/m)
    expect(text).toMatch(/^herald_webhook_requests_total\{provider="ses",status="401"\} [1-9]/m)
    expect(text).toMatch(/^herald_webhook_requests_total\{provider="mailgun",status="409"\} 1$/m)
  })
})
