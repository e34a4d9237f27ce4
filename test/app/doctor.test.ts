import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diagnose, type Finding } from '../../src/app/doctor.js'
import { parseConfig } from '../../src/config-parse.js'
import { silentLogger } from '../../src/log.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, siteConfig } from '../support/site.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'

let redis: TestRedis
let sink: SmtpSink
beforeEach(async () => {
  redis = await useTestRedis('doctor')
  sink = await startSmtpSink()
})
afterEach(async () => {
  await sink.close()
  await redis.cleanup()
})

const byCheck = (findings: Finding[]) => new Map(findings.map((finding) => [finding.check, finding]))

describe('herald doctor', () => {
  it('passes a site that can send, DKIM record included, and sends a test message when asked', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const yaml = siteConfig(
      'email:\n  dkim:\n    domain: blog.example.org\n    selector: herald\n    private_key_file: dkim.pem\n' +
        'http:\n  public_url: https://news.example.org/',
    )
    const site = await makeSite({ 'dkim.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, yaml)
    const env = { REDIS_URL: redis.url, HERALD_PREFIX: redis.prefix, SMTP_URL: sink.url, HERALD_SECRET: 'd'.repeat(48) }
    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`
    const findings = await diagnose(
      { config: parseConfig(yaml, site, env), logger: silentLogger() },
      {
        logger: silentLogger(),
        sendTestTo: 'ops@example.org',
        resolveTxt: async (name) => (name === 'herald._domainkey.blog.example.org' ? [[record.slice(0, 100), record.slice(100)]] : []),
      },
    )
    expect(findings.filter((finding) => finding.status === 'fail')).toEqual([])
    const checks = byCheck(findings)
    expect(checks.get('mail')).toMatchObject({ status: 'ok' })
    expect(checks.get('dkim')).toMatchObject({ status: 'ok' })
    expect(checks.get('public url')).toMatchObject({ status: 'ok' })
    expect(checks.get('secret')).toMatchObject({ status: 'ok' })
    expect(checks.get('test message')).toMatchObject({ status: 'ok' })
    expect(sink.received('ops@example.org')).toBe(1)
  })

  it('says what is wrong and how to fix it: no transport, an http public URL, a DKIM record that does not match', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const yaml = siteConfig(
      'email:\n  dkim:\n    domain: blog.example.org\n    selector: herald\n    private_key_file: dkim.pem\n' +
        'http:\n  public_url: http://news.example.org/',
    )
    const site = await makeSite({}, yaml)
    await writeFile(path.join(site, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const env = { REDIS_URL: redis.url, HERALD_PREFIX: redis.prefix, HERALD_SECRET: 'short' }
    const findings = await diagnose(
      { config: parseConfig(yaml, site, env), logger: silentLogger() },
      { logger: silentLogger(), resolveTxt: async () => [['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAother']] },
    )
    const checks = byCheck(findings)
    expect(checks.get('mail')).toMatchObject({ status: 'fail', detail: expect.stringContaining('no mail transport is set') })
    expect(checks.get('public url')).toMatchObject({ status: 'fail', fix: expect.stringContaining('https') })
    expect(checks.get('secret')).toMatchObject({ status: 'fail', fix: expect.stringContaining('openssl rand') })
    expect(checks.get('dkim dns')).toMatchObject({ status: 'fail', fix: expect.stringContaining('herald._domainkey.blog.example.org') })

    const cli = await runHerald(['doctor', '--site', site], { ...env, SMTP_URL: 'smtp://herald:wrong@127.0.0.1:1' })
    expect(cli.code).toBe(1)
    expect(cli.stdout).toMatch(/FAIL\s+mail\s+.*ECONNREFUSED/)
    expect(cli.stdout).toContain('→ check that the SMTP server in SMTP_URL is up')
  })
})
