import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type BounceSite, startBounceSite } from '../support/bounce-site.js'
import { returnedTo } from '../support/bounces.js'

// Six recipients at one receiving domain; with flood_min 3 and flood_share 0.5, the third bounce from there in one
// edition is a flood (3 of 6).
const OUTLOOK = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((name) => `${name}@outlook.example`)
const ELSEWHERE = 'zed@elsewhere.example'

let site: BounceSite | undefined
afterEach(async () => {
  await site?.close()
  site = undefined
})

/** Writes a real Outlook "user unknown" DSN about each address, delivered to its VERP address; returns the files. */
async function dsns(bounceSite: BounceSite, emails: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-flood-'))
  const files: string[] = []
  for (const [index, email] of emails.entries()) {
    const file = path.join(dir, `${index}-${email}.eml`)
    await writeFile(
      file,
      returnedTo('dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml', { recipient: email, verp: bounceSite.verp(email) }),
    )
    files.push(file)
  }
  return files
}

async function floodedSite(): Promise<BounceSite> {
  const bounceSite = await startBounceSite({
    subscribers: [...OUTLOOK, ELSEWHERE],
    bounces: 'flood_min: 3\nflood_share: 0.5',
    label: 'bflood',
  })
  const [first, second, third, fourth, other] = await dsns(bounceSite, [...OUTLOOK.slice(0, 4), ELSEWHERE])
  // One at a time, as they would come in: the first two are applied; the third passes the threshold.
  const early = await bounceSite.herald('bounces', 'ingest', first!, second!)
  expect(early.stdout).toMatch(/2 message\(s\): 2 bounced/)
  expect(await bounceSite.status(OUTLOOK[0]!)).toBe('bounced')
  const late = await bounceSite.herald('bounces', 'ingest', third!, fourth!, other!)
  expect(late.code, late.stderr).toBe(0)
  expect(late.stdout).toMatch(/3 message\(s\): 2 held, 1 bounced/)
  return bounceSite
}

describe('a domain flood: one edition’s bounces from one receiving domain are held for review', () => {
  it('holds them (taking back the ones applied before the threshold) and lists them for review', async () => {
    site = await floodedSite()
    for (const email of OUTLOOK) expect(await site.status(email), email).toBe('active')
    // Another domain's bounce is not part of the flood.
    expect(await site.status(ELSEWHERE)).toBe('bounced')
    expect((await site.events(OUTLOOK[0]!))[0]).toMatchObject({ kind: 'hard', outcome: 'held' })
    expect((await site.events(OUTLOOK[3]!))[0]).toMatchObject({ kind: 'hard', outcome: 'held' })

    const review = await site.herald('bounces', 'review')
    expect(review.code, review.stderr).toBe(0)
    expect(review.stdout).toContain(`edition ${site.edition()}  outlook.example: 4 of 6 recipients bounced (67%)`)
    for (const email of OUTLOOK.slice(0, 4)) expect(review.stdout).toContain(`  ${email}\thard\t5.1.1\t`)
    const json = JSON.parse((await site.herald('bounces', 'review', '--json')).stdout) as Array<{ domain: string; held: unknown[] }>
    expect(json).toEqual([expect.objectContaining({ domain: 'outlook.example', recipients: 6, bounced: 4 })])
    expect(json[0]!.held).toHaveLength(4)

    // A late bounce from the flooded domain joins the held ones.
    const [fifth] = await dsns(site, [OUTLOOK[4]!])
    expect((await site.herald('bounces', 'ingest', fifth!)).stdout).toContain('held for review')
    expect(await site.status(OUTLOOK[4]!)).toBe('active')
  })

  it('--discard drops them: the receiver had an outage, nobody is changed', async () => {
    site = await floodedSite()
    const discarded = await site.herald('bounces', 'review', '--discard', '--domain', 'outlook.example')
    expect(discarded.code, discarded.stderr).toBe(0)
    expect(discarded.stdout).toContain('4 held bounce(s) discarded; nobody changed')
    for (const email of OUTLOOK) expect(await site.status(email)).toBe('active')
    expect((await site.events(OUTLOOK[0]!))[0]).toMatchObject({ outcome: 'discarded' })
    expect((await site.herald('bounces', 'review')).stdout).toContain('no bounces are held for review')
  })

  it('--apply applies them: the addresses really were dead', async () => {
    site = await floodedSite()
    const applied = await site.herald('bounces', 'review', '--apply', '--edition', site.edition().slice(0, 8))
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toContain('4 held bounce(s) applied, 4 subscriber(s) bounced')
    for (const email of OUTLOOK.slice(0, 4)) expect(await site.status(email)).toBe('bounced')
    for (const email of OUTLOOK.slice(4)) expect(await site.status(email)).toBe('active')
    expect((await site.events(OUTLOOK[2]!))[0]).toMatchObject({ outcome: 'bounced' })
    expect((await site.herald('bounces', 'review', '--json')).stdout.trim()).toBe('[]')
  })
})
