import { createSign, X509Certificate } from 'node:crypto'
import path from 'node:path'
import { namesSnsHost, stringToSign } from '../../src/bounces/webhooks/sns.js'
import { BOUNCE_FIXTURES, bounceFixture } from './bounces.js'

/**
 * A stand-in for Amazon SNS: a test CA (test/fixtures/bounces/sns/) issued a certificate for sns.amazonaws.com whose key
 * signs messages as SNS does. Tests inject its certificate fetch and trust the test CA instead of Amazon.
 */
export const SNS_CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem'
export const SNS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-bounces'

const pem = (name: string) => bounceFixture(path.join('sns', name)).toString('utf8')
export const SNS_SIGNING_CERT = pem('signing.pem')
const signingKey = pem('signing.key')
const testCa = new X509Certificate(pem('test-ca.pem'))
export const SNS_STRANGER_CERT = pem('stranger.pem')
const strangerKey = pem('stranger.key')
export const SNS_FIXTURE_DIR = path.join(BOUNCE_FIXTURES, 'sns')

/** Trust as tests see it: a certificate for an SNS host, issued by the test CA. */
export function trustTestCa(certificate: X509Certificate): boolean {
  return namesSnsHost(certificate) && certificate.checkIssued(testCa) && certificate.verify(testCa.publicKey)
}

/** A certificate fetch that serves the test certificate at {@link SNS_CERT_URL} and records every URL asked for. */
export function fakeCertificateFetch(): { fetch: (url: string) => Promise<string>; asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    fetch: async (url) => {
      asked.push(url)
      if (url === SNS_CERT_URL) return SNS_SIGNING_CERT
      if (url.endsWith('/stranger.pem')) return SNS_STRANGER_CERT
      throw new Error(`no certificate at ${url}`)
    },
  }
}

/** An SNS message (notification or confirmation) signed with the test key, SignatureVersion 1 or 2. */
export function signedSnsMessage(
  fields: Record<string, string>,
  options: { version?: '1' | '2'; certUrl?: string; stranger?: boolean } = {},
): Record<string, string> {
  const version = options.version ?? '2'
  const message: Record<string, string> = {
    TopicArn: SNS_TOPIC,
    MessageId: crypto.randomUUID(),
    Timestamp: new Date().toISOString(),
    ...fields,
    SignatureVersion: version,
    SigningCertURL: options.certUrl ?? SNS_CERT_URL,
  }
  const keys =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type']
  const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
  signer.update(stringToSign(message, keys), 'utf8')
  message.Signature = signer.sign(options.stranger ? strangerKey : signingKey, 'base64')
  return message
}
