import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { verpAddress, verpKey } from '../../src/bounces/verp.js'
import { main } from '../../src/cli/main.js'
import { BOUNCE_ADDRESS, BOUNCE_SECRET, type BounceSite, startBounceSite } from '../support/bounce-site.js'
import { returnedTo } from '../support/bounces.js'

let site: BounceSite | undefined
afterEach(async () => {
  await site?.close()
  site = undefined
})

const scratch = () => mkdtemp(path.join(tmpdir(), 'herald-bounces-'))

/** `herald bounces ingest -` with `input` on standard input. */
async function ingestStdin(bounceSite: BounceSite, input: Buffer): Promise<{ code: number; stdout: string }> {
  const stdin = new PassThrough()
  stdin.end(input)
  const stdout = new PassThrough()
  const out: Buffer[] = []
  stdout.on('data', (chunk: Buffer) => out.push(chunk))
  const code = await main(['bounces', 'ingest', '-', '--site', bounceSite.dir], {
    stdout,
    stderr: new PassThrough(),
    stdin,
    env: bounceSite.env,
    cwd: bounceSite.dir,
    interactive: false,
  })
  return { code, stdout: Buffer.concat(out).toString() }
}

describe('herald bounces ingest', () => {
  it('applies real Gmail, Outlook, Postfix and Exim DSNs, an ARF report and an auto-reply, each as it should', async () => {
    const people = {
      gmail: 'ann@gmail.example',
      outlook: 'bob@outlook.example',
      postfix: 'cyd@postfix.example',
      exim: 'dee@exim.example',
      arf: 'eve@arf.example',
      vacation: 'fay@vacation.example',
      full: 'gus@full.example',
      exchange: 'hal@exchange.example',
    }
    site = await startBounceSite({ subscribers: Object.values(people) })
    const dir = await scratch()
    const samples: Array<[string, string]> = [
      ['dsn/gmail-01-plaintext-user-unknown.eml', people.gmail],
      ['dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml', people.outlook],
      ['dsn/postfix-01-dmarc-reject-5.7.26-from-gmail.eml', people.postfix],
      ['dsn/exim-01-two-recipients-user-unknown.eml', people.exim],
      ['arf/arf-01-terra-returnpath-fbl-abuse.eml', people.arf],
      ['dsn/autoreply-03-zimbra-vacation-verp.eml', people.vacation],
      ['dsn/outlook-01-hotmail-mailbox-full-5.2.2.eml', people.full],
    ]
    const files: string[] = []
    for (const [index, [name, email]] of samples.entries()) {
      const file = path.join(dir, `${index}.eml`)
      await writeFile(file, returnedTo(name, { recipient: email, verp: site.verp(email) }))
      files.push(file)
    }
    const result = await site.herald('bounces', 'ingest', ...files)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`hard 5.1.1 for ${people.gmail} (edition ${site.edition()}): subscriber bounced`)
    expect(result.stdout).toMatch(/7 message\(s\): 3 bounced, 2 recorded, 1 unsubscribed, 1 counted$/m)

    expect(await site.status(people.gmail)).toBe('bounced')
    expect(await site.status(people.outlook)).toBe('bounced')
    expect(await site.status(people.exim)).toBe('bounced')
    // A DMARC reject is the sender's problem, an auto-reply nobody's, a full mailbox is counted: none changes a subscriber.
    expect(await site.status(people.postfix)).toBe('active')
    expect(await site.status(people.vacation)).toBe('active')
    expect(await site.status(people.full)).toBe('active')
    const arf = (await site.subscribers.getByEmail(people.arf))!
    expect(arf).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })

    expect(await site.events(people.gmail)).toEqual([
      expect.objectContaining({ kind: 'hard', status: '5.1.1', source: 'ingest', editionId: site.edition(), outcome: 'bounced' }),
    ])
    expect((await site.events(people.postfix))[0]).toMatchObject({ kind: 'policy', status: '5.7.26', outcome: 'recorded' })
    // The sending side's problem is the operator's to fix: it is logged as a warning.
    expect(result.stderr).toMatch(/"level":40,.*"returned mail for cyd@postfix\.example: policy: recorded"/)
    expect((await site.events(people.vacation))[0]).toMatchObject({ kind: 'auto_reply', outcome: 'recorded' })
    expect((await site.events(people.full))[0]).toMatchObject({ kind: 'soft', status: '5.2.2', outcome: 'counted' })
    expect((await site.subscribers.getByEmail(people.gmail))!.bounceReason).toMatch(/^5\.1\.1 .*user unknown/)

    // Reading the same messages again changes nothing.
    await site.subscribers.reactivate((await site.subscribers.getByEmail(people.gmail))!.id, 'test')
    const again = await site.herald('bounces', 'ingest', ...files)
    expect(again.stdout).toMatch(/7 message\(s\): 7 duplicate/)
    expect(await site.status(people.gmail)).toBe('active')

    // The same from standard input (an /etc/aliases pipe), an mbox and a Maildir.
    const exchange = returnedTo('dsn/exchange-01-ndr-user-unknown-5.1.1.eml', {
      recipient: people.exchange,
      verp: site.verp(people.exchange),
    })
    const piped = await ingestStdin(site, exchange)
    expect(piped.code).toBe(0)
    expect(piped.stdout).toContain('subscriber bounced')
    expect(await site.status(people.exchange)).toBe('bounced')
  })

  it('reads an mbox and a Maildir, and shows what came back in "subscribers show" and in the export', async () => {
    site = await startBounceSite({ subscribers: ['ann@gmail.example', 'bob@outlook.example'] })
    const dir = await scratch()
    const mbox = path.join(dir, 'bounces.mbox')
    const gmail = returnedTo('dsn/gmail-02-rfc3464-address-not-found.eml', {
      recipient: 'ann@gmail.example',
      verp: site.verp('ann@gmail.example'),
    })
    await writeFile(mbox, Buffer.concat([Buffer.from('From MAILER-DAEMON Mon Jan  5 10:00:00 2026\n'), gmail, Buffer.from('\n')]))
    const maildir = path.join(dir, 'Maildir')
    for (const folder of ['new', 'cur', 'tmp']) await mkdir(path.join(maildir, folder), { recursive: true })
    const outlook = returnedTo('dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml', {
      recipient: 'bob@outlook.example',
      verp: site.verp('bob@outlook.example'),
    })
    await writeFile(path.join(maildir, 'new', '1767607200.M1P1.mail'), outlook)
    const result = await site.herald('bounces', 'ingest', '--mbox', mbox, '--maildir', maildir, '--json')
    expect(result.code, result.stderr).toBe(0)
    const done = JSON.parse(result.stdout) as Array<{ message: string; outcome: string; kind: string; email: string }>
    // Files first, then Maildirs, then mbox files.
    expect(done.map(({ outcome, kind, email }) => ({ outcome, kind, email }))).toEqual([
      { outcome: 'bounced', kind: 'hard', email: 'bob@outlook.example' },
      { outcome: 'bounced', kind: 'hard', email: 'ann@gmail.example' },
    ])
    expect(done[1]!.message).toBe(`${mbox}:1`)

    const shown = await site.herald('subscribers', 'show', 'ann@gmail.example')
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/^status\s+bounced$/m)
    expect(shown.stdout).toMatch(
      new RegExp(`\\thard\\t5\\.1\\.0\\tingest\\t${site.edition()}\\tbounced\\t550 #5\\.1\\.0 Address rejected\\.`),
    )
    const json = JSON.parse((await site.herald('subscribers', 'show', 'ann@gmail.example', '--json')).stdout) as { events: unknown[] }
    expect(json.events).toEqual([expect.objectContaining({ kind: 'hard', status: '5.1.0', outcome: 'bounced' })])

    const exported = path.join(dir, 'export.csv')
    expect((await site.herald('subscribers', 'export', exported)).code).toBe(0)
    const csv = await readFile(exported, 'utf8')
    expect(csv.split('\n')[0]).toMatch(/,unsubscribe_reason,events$/)
    expect(csv).toMatch(/ann@gmail\.example,bounced,.*"\[\{""id"":""[0-9a-f]+"",""at"":.*""kind"":""hard""/)
  })
})

describe('safety: returned mail that cannot be tied to a message sent changes nothing', () => {
  it('ignores mail without a VERP tag, with a forged or foreign tag, or naming an edition never sent to that subscriber', async () => {
    site = await startBounceSite({ subscribers: ['ann@example.org'] })
    const late = 'late@example.org'
    await site.subscribers.subscribe({ email: late, confirmed: true, consent: { source: 'cli' } })
    const lateId = (await site.subscribers.getByEmail(late))!.id
    const annId = (await site.subscribers.getByEmail('ann@example.org'))!.id
    const forged = `bounces+${'a'.repeat(42)}@blog.example.org`
    const otherKey = verpKey('another-site-secret-0123456789-abcdefghijklmnop')
    const dir = await scratch()
    const cases: Array<[string, string, string]> = [
      ['bare', BOUNCE_ADDRESS, 'ann@example.org'],
      ['forged', forged, 'ann@example.org'],
      ['other-site', verpAddress(BOUNCE_ADDRESS, site.edition(), annId, otherKey), 'ann@example.org'],
      // Signed with this site's key, but the edition went out before this subscriber joined.
      ['never-sent', verpAddress(BOUNCE_ADDRESS, site.edition(), lateId, verpKey(BOUNCE_SECRET)), late],
    ]
    const files: string[] = []
    for (const [label, verp, recipient] of cases) {
      const file = path.join(dir, `${label}.eml`)
      await writeFile(file, returnedTo('dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml', { recipient, verp }))
      files.push(file)
    }
    const result = await site.herald('bounces', 'ingest', '--json', ...files)
    expect(result.code, result.stderr).toBe(0)
    expect((JSON.parse(result.stdout) as Array<{ outcome: string }>).map((entry) => entry.outcome)).toEqual([
      'unattributed',
      'unattributed',
      'unattributed',
      'not_sent',
    ])
    expect(await site.status('ann@example.org')).toBe('active')
    expect(await site.status(late)).toBe('active')
    expect(await site.events('ann@example.org')).toEqual([])
    expect(await site.events(late)).toEqual([])
  })

  it('refuses to ingest without email.bounce_address, or from a file that is not there', async () => {
    site = await startBounceSite({ subscribers: ['ann@example.org'] })
    const missing = await site.herald('bounces', 'ingest', path.join(site.dir, 'no-such.eml'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no-such.eml: no such file')
    await writeFile(
      path.join(site.dir, 'herald.yml'),
      (await readFile(path.join(site.dir, 'herald.yml'), 'utf8')).replace(/^ {2}bounce_address:.*\n/m, ''),
    )
    const result = await site.herald('bounces', 'ingest', '-')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('email.bounce_address')
  })
})

describe('soft bounces', () => {
  it('are counted once per edition, and make a subscriber bounced at email.bounces.soft_limit over the latest soft_editions', async () => {
    site = await startBounceSite({ subscribers: ['gus@full.example', 'ann@example.org'] })
    const dir = await scratch()
    const full = (index: number) =>
      returnedTo('dsn/outlook-01-hotmail-mailbox-full-5.2.2.eml', {
        recipient: 'gus@full.example',
        verp: site!.verp('gus@full.example', index),
      })
    const quota = (index: number) =>
      returnedTo('dsn/gmail-03-soft-storage-quota-exceeded.eml', {
        recipient: 'gus@full.example',
        verp: site!.verp('gus@full.example', index),
      })
    await writeFile(path.join(dir, 'a.eml'), full(0))
    await writeFile(path.join(dir, 'b.eml'), quota(0))
    const first = await site.herald('bounces', 'ingest', path.join(dir, 'a.eml'), path.join(dir, 'b.eml'))
    expect(first.stdout).toMatch(/2 message\(s\): 2 counted/)
    // Two soft bounces of one edition are one: the limit (2) is not reached.
    expect(await site.status('gus@full.example')).toBe('active')

    expect((await site.publish('second')).code).toBe(0)
    await writeFile(path.join(dir, 'c.eml'), full(1))
    const second = await site.herald('bounces', 'ingest', path.join(dir, 'c.eml'))
    expect(second.stdout).toContain('subscriber bounced')
    const gus = (await site.subscribers.getByEmail('gus@full.example'))!
    expect(gus.status).toBe('bounced')
    expect(gus.bounceReason).toMatch(/^2 soft bounces in the last 5 editions; last: 5\.2\.2/)
    expect((await site.events('gus@full.example')).map((event) => [event.kind, event.outcome, event.editionId])).toEqual([
      ['soft', 'bounced', site.edition(1)],
      ['soft', 'counted', site.edition(0)],
      ['soft', 'counted', site.edition(0)],
    ])
  })
})

describe('the SMTP listener (herald serve --smtp-port)', () => {
  it('takes returned mail for the bounce address only, and applies the same samples as ingest does', async () => {
    const people = {
      gmail: 'ann@gmail.example',
      outlook: 'bob@outlook.example',
      postfix: 'cyd@postfix.example',
      exim: 'dee@exim.example',
      jmrp: 'eve@hotmail.example',
      arf: 'fay@arf.example',
    }
    site = await startBounceSite({ subscribers: Object.values(people), label: 'bsmtp' })
    const { spawnHerald } = await import('../support/cli.js')
    const serve = spawnHerald(['serve', '--site', site.dir, '--port', '0', '--smtp-port', '0'], site.env)
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setInterval(() => {
          const match = /by SMTP on [\d.]+:(\d+)/.exec(serve.output())
          if (match) {
            clearInterval(timer)
            resolve(Number(match[1]))
          }
        }, 50)
        serve.exited.then(() => reject(new Error(`serve exited: ${serve.output()}`)))
      })
      const nodemailer = (await import('nodemailer')).default
      const smtp = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true })
      const send = (to: string, raw: Buffer) => smtp.sendMail({ envelope: { from: 'mailer-daemon@gmail.example', to: [to] }, raw })
      // DSNs go to the envelope sender: the tagged address is the SMTP recipient (no Delivered-To header yet).
      const samples: Array<[string, string]> = [
        ['dsn/gmail-01-plaintext-user-unknown.eml', people.gmail],
        ['dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml', people.outlook],
        ['dsn/postfix-01-dmarc-reject-5.7.26-from-gmail.eml', people.postfix],
        ['dsn/exim-01-two-recipients-user-unknown.eml', people.exim],
      ]
      for (const [name, email] of samples) {
        const verp = site.verp(email)
        await send(verp, returnedTo(name, { recipient: email, verp, deliveredTo: false }))
      }
      // Feedback loops report to the plain bounce address: the tag is inside (ARF Original-Mail-From, the returned
      // message's Return-Path), for Hotmail's JMRP as for RFC 5965 reports.
      for (const [name, email] of [
        ['arf/arf-05-hotmail-jmrp-non-arf-multipart-mixed.eml', people.jmrp],
        ['arf/arf-01-terra-returnpath-fbl-abuse.eml', people.arf],
      ] as const) {
        await send(BOUNCE_ADDRESS, returnedTo(name, { recipient: email, verp: site.verp(email), deliveredTo: false }))
      }
      const other = returnedTo(samples[0]![0], { recipient: people.gmail, verp: site.verp(people.gmail), deliveredTo: false })
      await expect(send('postmaster@blog.example.org', other)).rejects.toThrow(/550/)
      await expect(send(site.verp(people.gmail), Buffer.alloc(1_100_000, 'x'))).rejects.toThrow(/552|size/i)
      smtp.close()

      expect(await site.status(people.gmail)).toBe('bounced')
      expect(await site.status(people.outlook)).toBe('bounced')
      expect(await site.status(people.exim)).toBe('bounced')
      expect(await site.status(people.postfix)).toBe('active')
      expect(await site.subscribers.getByEmail(people.jmrp)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
      expect(await site.subscribers.getByEmail(people.arf)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
      expect((await site.events(people.gmail))[0]).toMatchObject({ kind: 'hard', status: '5.1.1', source: 'smtp', outcome: 'bounced' })
      expect((await site.events(people.postfix))[0]).toMatchObject({ kind: 'policy', source: 'smtp', outcome: 'recorded' })
    } finally {
      serve.child.kill('SIGTERM')
      await serve.exited
    }
  })
})
