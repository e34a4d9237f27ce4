import { createPrivateKey, createPublicKey } from 'node:crypto'
import { resolveTxt } from 'node:dns/promises'
import { readFile } from 'node:fs/promises'
import { type Config, stateDir } from '../config.js'
import type { HeraldError } from '../errors.js'
import { siteKeys } from '../infra/keys.js'
import { openRedis, redactUrl } from '../infra/redis.js'
import type { Logger } from '../log.js'
import { adviceFor, classifySendError } from '../mail/errors.js'
import { isLoopbackHost } from '../mail/smtp.js'
import { createTransport, type MailTransport } from '../mail/transport.js'
import { MIN_SECRET_BYTES } from '../subscribers/secret.js'
import type { AppContext } from './context.js'

/** One finding of `herald doctor`: what was checked, how it went, and what to do when it did not. */
export interface Finding {
  readonly check: string
  readonly status: 'ok' | 'warn' | 'fail'
  readonly detail: string
  /** What to do about it (warn and fail). */
  readonly fix?: string
}

/** What `herald doctor` may touch besides the configuration. */
export interface DoctorOptions {
  /** Sends a test message to this address through the configured transport. */
  readonly sendTestTo?: string
  /** DNS TXT lookups (tests pass their own). Default Node's resolver. */
  readonly resolveTxt?: (name: string) => Promise<string[][]>
  readonly logger: Logger
}

/**
 * Checks everything a site needs to send: Redis (and that its data is this site's), the mail transport (connect, TLS,
 * login; optionally a test message), the link-signing secret, the public URL, DKIM key and DNS record. Never throws
 * for what it checks: each problem is a finding with what to do.
 */
export async function diagnose(context: AppContext, options: DoctorOptions): Promise<Finding[]> {
  const { config } = context
  const findings: Finding[] = []
  findings.push(...(await checkRedis(context)))
  findings.push(...(await checkMail(context, options)))
  findings.push(await checkSecret(config))
  findings.push(checkPublicUrl(config))
  findings.push(...(await checkDkim(config, options.resolveTxt ?? resolveTxt)))
  return findings
}

async function checkRedis(context: AppContext): Promise<Finding[]> {
  const { config } = context
  let handle: Awaited<ReturnType<typeof openRedis>>
  try {
    handle = await openRedis(config, context.logger)
  } catch (error) {
    return [{ check: 'redis', status: 'fail', detail: (error as Error).message, fix: 'start Redis or set REDIS_URL' }]
  }
  const findings: Finding[] = [{ check: 'redis', status: 'ok', detail: `answers at ${redactUrl(handle.url)}` }]
  try {
    const [policy, appendonly] = await Promise.all([
      handle.redis.config('GET', 'maxmemory-policy'),
      handle.redis.config('GET', 'appendonly'),
    ])
    const policyValue = (policy as string[])[1]
    if (policyValue !== 'noeviction') {
      findings.push({
        check: 'redis eviction',
        status: 'warn',
        detail: `maxmemory-policy is ${policyValue}: Redis may evict the send ledger under memory pressure`,
        fix: 'set maxmemory-policy noeviction',
      })
    }
    if ((appendonly as string[])[1] !== 'yes') {
      findings.push({
        check: 'redis persistence',
        status: 'warn',
        detail: 'appendonly is off: a Redis restart loses the ledgers that prevent double mail',
        fix: 'set appendonly yes',
      })
    }
  } catch {
    // CONFIG may be disabled on a managed Redis; nothing to say then.
  }
  const owner = await handle.redis.hget(siteKeys(config.env.prefix).site(), 'url')
  if (owner && owner !== config.site.url) {
    findings.push({
      check: 'redis prefix',
      status: 'fail',
      detail: `the prefix "${config.env.prefix}" holds the data of ${owner}, not of ${config.site.url}`,
      fix: 'set HERALD_PREFIX to a prefix of its own for this site',
    })
  }
  await handle.close()
  return findings
}

async function checkMail(context: AppContext, options: DoctorOptions): Promise<Finding[]> {
  const { config } = context
  let transport: MailTransport
  try {
    transport = createTransport({ config, logger: context.logger })
  } catch (error) {
    return [{ check: 'mail', status: 'fail', detail: (error as HeraldError).message }]
  }
  const findings: Finding[] = []
  try {
    await transport.verify()
    const where =
      transport.kind === 'smtp' ? 'the SMTP server accepts the connection, TLS and login' : `outbox ${config.email.outboxDir} is writable`
    findings.push({
      check: 'mail',
      status: transport.kind === 'outbox' ? 'warn' : 'ok',
      detail: where,
      ...(transport.kind === 'outbox' ? { fix: 'the outbox only writes .eml files: set SMTP_URL to send mail' } : {}),
    })
    if (options.sendTestTo) {
      const result = await transport.send({
        from: config.email.from,
        to: options.sendTestTo,
        subject: `Herald test message from ${config.site.title}`,
        text: `This is a test message from Herald (herald doctor --send-test) for ${config.site.url}.`,
        html: `<p>This is a test message from Herald (<code>herald doctor --send-test</code>) for ${config.site.url}.</p>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      })
      findings.push({ check: 'test message', status: 'ok', detail: `to ${options.sendTestTo}: ${result.response}` })
    }
  } catch (error) {
    const failure = classifySendError(error)
    findings.push({ check: 'mail', status: 'fail', detail: failure.reply, fix: adviceFor(failure) })
  } finally {
    await transport.close()
  }
  return findings
}

async function checkSecret(config: Config): Promise<Finding> {
  if (config.env.secret !== null) {
    const bytes = Buffer.byteLength(config.env.secret)
    return bytes >= MIN_SECRET_BYTES
      ? { check: 'secret', status: 'ok', detail: `HERALD_SECRET is set (${bytes} bytes)` }
      : { check: 'secret', status: 'fail', detail: `HERALD_SECRET has ${bytes} bytes`, fix: 'make one with "openssl rand -base64 48"' }
  }
  const file = `${stateDir(config.siteDir)}/secret`
  const exists = await readFile(file).then(
    () => true,
    () => false,
  )
  return {
    check: 'secret',
    status: 'warn',
    detail: exists ? `HERALD_SECRET is not set; the one generated in ${file} is used` : 'HERALD_SECRET is not set; one will be generated',
    fix: 'set HERALD_SECRET (openssl rand -base64 48) when more than one process or machine serves or sends for this site',
  }
}

function checkPublicUrl(config: Config): Finding {
  const url = new URL(config.http.publicUrl)
  if (url.protocol === 'https:') return { check: 'public url', status: 'ok', detail: `${url.href} (https)` }
  return {
    check: 'public url',
    status: isLoopbackHost(url.hostname) ? 'warn' : 'fail',
    detail: `${url.href} is not https: mail clients only offer one-click unsubscribe (RFC 8058) over https`,
    fix: 'serve "herald serve" behind https and set http.public_url to that address',
  }
}

async function checkDkim(config: Config, lookup: (name: string) => Promise<string[][]>): Promise<Finding[]> {
  const dkim = config.email.dkim
  if (!dkim)
    return [
      { check: 'dkim', status: 'warn', detail: 'emails are not DKIM-signed', fix: 'set email.dkim (domain, selector, private_key_file)' },
    ]
  let publicKey: string
  try {
    const pem = await readFile(dkim.privateKeyFile, 'utf8')
    publicKey = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }).toString('base64')
  } catch (error) {
    return [
      {
        check: 'dkim key',
        status: 'fail',
        detail: `${dkim.privateKeyFile}: ${(error as Error).message}`,
        fix: 'point email.dkim.private_key_file at a PEM private key',
      },
    ]
  }
  const name = `${dkim.selector}._domainkey.${dkim.domain}`
  let records: string[][]
  try {
    records = await lookup(name)
  } catch (error) {
    return [
      { check: 'dkim key', status: 'ok', detail: `${dkim.privateKeyFile} is a private key` },
      {
        check: 'dkim dns',
        status: 'warn',
        detail: `could not look up ${name} TXT: ${(error as Error).message}`,
        fix: `publish v=DKIM1; k=rsa; p=${publicKey}`,
      },
    ]
  }
  const published = records.map((parts) => parts.join('')).find((text) => /(^|;)\s*p=/.test(text))
  const p = published ? /(?:^|;)\s*p=([^;]*)/.exec(published)?.[1]?.replace(/\s+/g, '') : undefined
  if (p === publicKey) return [{ check: 'dkim', status: 'ok', detail: `${name} publishes the public half of ${dkim.privateKeyFile}` }]
  return [
    {
      check: 'dkim dns',
      status: 'fail',
      detail: published ? `${name} publishes another key than ${dkim.privateKeyFile}'s` : `no DKIM record at ${name}`,
      fix: `publish a TXT record at ${name}: v=DKIM1; k=rsa; p=${publicKey}`,
    },
  ]
}
