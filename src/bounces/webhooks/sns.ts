import { createVerify, X509Certificate } from 'node:crypto'

/**
 * Amazon SNS message verification (SES publishes bounces and complaints to an SNS topic, which POSTs them to Herald).
 * AWS's guide and its own validators (aws-php-sns-message-validator, aws-js-sns-message-validator, the Java SDK v2's
 * SnsMessageManager): the `SigningCertURL` must be HTTPS on an `sns.<region>.amazonaws.com[.cn]` host before it is
 * fetched; the certificate must be Amazon's and in date; the signature is RSA over a "string to sign" of fixed fields
 * (SHA1 for `SignatureVersion` 1, SHA256 for 2); the topic must be one the operator named.
 */

/** An SNS message whose signature, certificate and topic checked out. */
export interface SnsMessage {
  readonly type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation'
  readonly messageId: string
  readonly topicArn: string
  /** The published message: for SES, a JSON document as text. */
  readonly message: string
  readonly timestamp: Date
  /** Confirmations: the URL that confirms the subscription (validated like the certificate URL). */
  readonly subscribeUrl: string | null
}

/** Options for {@link SnsVerifier}. */
export interface SnsVerifierOptions {
  /** The topic ARNs Herald accepts messages from (`HERALD_SES_TOPIC_ARN`); anything else is refused. */
  readonly topicArns: readonly string[]
  /** Fetches a certificate's PEM from a validated URL. Default: HTTPS with Node's fetch (10 s, at most 10 KB). */
  readonly fetchCertificate?: (url: string) => Promise<string>
  /** Whether a certificate may sign SNS messages. Default {@link isAmazonSnsCertificate}. */
  readonly trustCertificate?: (certificate: X509Certificate) => boolean
  /** How old a message may be (its signed `Timestamp`). Default 24 hours: SNS retries reuse the original message. */
  readonly maxAgeMs?: number
  readonly now?: () => Date
}

/** Why a message was refused. */
export class SnsRejected extends Error {
  override readonly name = 'SnsRejected'
}

const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'])
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const
/** The AWS validators' host pattern: regional SNS endpoints only, never any amazonaws.com host (S3 buckets live there). */
const SNS_HOST = /^sns\.[a-z0-9][a-z0-9-]*[a-z0-9]\.amazonaws\.com(?:\.cn)?$/
const MAX_CERTIFICATE_BYTES = 10 * 1024
const CACHE_SIZE = 20

/** Verifies SNS messages; certificates are fetched once per URL (per process). */
export class SnsVerifier {
  private readonly topics: ReadonlySet<string>
  private readonly fetchCertificate: (url: string) => Promise<string>
  private readonly trust: (certificate: X509Certificate) => boolean
  private readonly maxAgeMs: number
  private readonly now: () => Date
  private readonly certificates = new Map<string, Promise<X509Certificate>>()

  constructor(options: SnsVerifierOptions) {
    this.topics = new Set(options.topicArns)
    this.fetchCertificate = options.fetchCertificate ?? fetchPem
    this.trust = options.trustCertificate ?? isAmazonSnsCertificate
    this.maxAgeMs = options.maxAgeMs ?? 24 * 3600_000
    this.now = options.now ?? (() => new Date())
  }

  /** Checks a parsed SNS message; throws {@link SnsRejected} saying why it is refused. */
  async verify(body: unknown): Promise<SnsMessage> {
    if (!body || typeof body !== 'object') throw new SnsRejected('not an SNS message')
    const message = body as Record<string, unknown>
    const text = (name: string) => (typeof message[name] === 'string' ? (message[name] as string) : null)
    const type = text('Type')
    if (!type || !TYPES.has(type)) throw new SnsRejected(`unknown message type ${JSON.stringify(type)}`)
    const topicArn = text('TopicArn')
    if (!topicArn || !this.topics.has(topicArn)) throw new SnsRejected(`topic ${JSON.stringify(topicArn)} is not HERALD_SES_TOPIC_ARN`)
    const signature = text('Signature')
    const version = text('SignatureVersion')
    const certificateUrl = text('SigningCertURL')
    if (!signature || !certificateUrl) throw new SnsRejected('no signature')
    const algorithm = version === '1' ? 'RSA-SHA1' : version === '2' ? 'RSA-SHA256' : null
    if (!algorithm) throw new SnsRejected(`unknown SignatureVersion ${JSON.stringify(version)}`)
    if (!isSnsUrl(certificateUrl, { pem: true }))
      throw new SnsRejected(`certificate URL ${JSON.stringify(certificateUrl)} is not Amazon SNS's`)
    const timestamp = new Date(text('Timestamp') ?? '')
    if (Number.isNaN(timestamp.getTime())) throw new SnsRejected('no Timestamp')
    const age = this.now().getTime() - timestamp.getTime()
    if (age > this.maxAgeMs || age < -5 * 60_000) throw new SnsRejected(`stale message (sent ${timestamp.toISOString()})`)
    const fields = type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS
    for (const field of fields) {
      if (field !== 'Subject' && text(field) === null) throw new SnsRejected(`no ${field}`)
    }
    const certificate = await this.certificate(certificateUrl)
    const now = this.now().getTime()
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo))
      throw new SnsRejected('the signing certificate is out of date')
    const verifier = createVerify(algorithm)
    verifier.update(stringToSign(message, fields), 'utf8')
    if (!verifier.verify(certificate.publicKey, signature, 'base64')) throw new SnsRejected('bad signature')
    const subscribeUrl = text('SubscribeURL')
    if (type !== 'Notification' && (!subscribeUrl || !isSnsUrl(subscribeUrl, { pem: false }))) {
      throw new SnsRejected(`SubscribeURL ${JSON.stringify(subscribeUrl)} is not Amazon SNS's`)
    }
    return {
      type: type as SnsMessage['type'],
      messageId: text('MessageId')!,
      topicArn,
      message: text('Message')!,
      timestamp,
      subscribeUrl: type === 'Notification' ? null : subscribeUrl,
    }
  }

  private certificate(url: string): Promise<X509Certificate> {
    let cached = this.certificates.get(url)
    if (!cached) {
      cached = this.fetchCertificate(url).then((pem) => {
        let certificate: X509Certificate
        try {
          certificate = new X509Certificate(pem)
        } catch {
          throw new SnsRejected('the signing certificate is not a certificate')
        }
        if (!this.trust(certificate)) throw new SnsRejected(`the signing certificate (${certificate.subject}) is not Amazon SNS's`)
        return certificate
      })
      // A failed fetch is not remembered (the next message tries again); a good certificate is, up to a few URLs.
      cached.catch(() => this.certificates.delete(url))
      this.certificates.set(url, cached)
      if (this.certificates.size > CACHE_SIZE) this.certificates.delete(this.certificates.keys().next().value!)
    }
    return cached
  }
}

/** The string SNS signs: each present field's name and value, each followed by a newline, in this byte-sorted order. */
export function stringToSign(message: Record<string, unknown>, fields: readonly string[]): string {
  let text = ''
  for (const field of fields) {
    const value = message[field]
    if (typeof value === 'string') text += `${field}\n${value}\n`
  }
  return text
}

/**
 * Whether a URL from a message may be fetched: HTTPS, an SNS regional host, no credentials, port or fragment; a
 * certificate's ends in `.pem` without a query, a SubscribeURL is the `ConfirmSubscription` action.
 */
export function isSnsUrl(value: string, kind: { pem: boolean }): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port || url.hash) return false
  if (!SNS_HOST.test(url.hostname)) return false
  if (kind.pem) return url.pathname.endsWith('.pem') && url.search === ''
  return url.pathname === '/' && url.searchParams.get('Action') === 'ConfirmSubscription'
}

/** The default trust: a certificate for an SNS host, issued by Amazon (as the Java SDK v2 checks). */
export function isAmazonSnsCertificate(certificate: X509Certificate): boolean {
  return namesSnsHost(certificate) && /^O=Amazon\b/m.test(certificate.issuer)
}

/** Whether a certificate's subject or alternative names name an SNS host (`sns.amazonaws.com`, regional ones). */
export function namesSnsHost(certificate: X509Certificate): boolean {
  const names = [
    ...(certificate.subject.match(/^CN=(.+)$/m)?.slice(1) ?? []),
    ...(certificate.subjectAltName ?? '').split(/,\s*/).map((name) => name.replace(/^DNS:/, '')),
  ]
  return names.some((name) => /^sns(?:\.[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/.test(name.trim().toLowerCase()))
}

async function fetchPem(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new SnsRejected(`fetching the signing certificate: HTTP ${response.status}`)
  const body = Buffer.from(await response.arrayBuffer())
  if (body.length > MAX_CERTIFICATE_BYTES) throw new SnsRejected('the signing certificate is too large')
  return body.toString('utf8')
}

/** Confirms an SNS subscription by fetching its SubscribeURL (validated by {@link SnsVerifier.verify}). */
export async function confirmSnsSubscription(url: string): Promise<void> {
  if (!isSnsUrl(url, { pem: false })) throw new SnsRejected(`SubscribeURL ${JSON.stringify(url)} is not Amazon SNS's`)
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`confirming the SNS subscription: HTTP ${response.status}`)
  await response.arrayBuffer()
}
