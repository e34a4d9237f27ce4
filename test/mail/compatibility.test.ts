import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { doIUseEmail } from 'doiuse-email'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteDigest } from '../support/digest.js'
import { copyExampleSite, REPO_ROOT } from '../support/site.js'

let site: string
let html: string
let text: string

beforeAll(async () => {
  site = await copyExampleSite()
  const { message } = await siteDigest(site)
  html = message.html
  text = message.text
}, 60_000)

afterAll(async () => {
  if (site) await rm(site, { recursive: true, force: true })
})

/** The features docs/email-compatibility.md allows to be unsupported: the first column of its table. */
async function allowedFeatures(): Promise<Set<string>> {
  const doc = await readFile(path.join(REPO_ROOT, 'docs/email-compatibility.md'), 'utf8')
  const section = doc.split('## Features allowed to be unsupported')[1]!.split('\n## ')[0]!
  return new Set([...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!))
}

describe('email compatibility', () => {
  it('uses no feature a client lacks except those written down and justified in docs/email-compatibility.md', async () => {
    const allowed = await allowedFeatures()
    expect(allowed.size).toBeGreaterThan(10)
    const report = doIUseEmail(html, { emailClients: ['*'] })
    const unsupported = new Map<string, Set<string>>()
    for (const error of report.success ? [] : report.errors) {
      const [, feature, client] = /^`(.+?)` is not supported by `(.+?)`$/.exec(error) ?? []
      expect(feature, error).toBeDefined()
      if (!unsupported.has(feature!)) unsupported.set(feature!, new Set())
      unsupported.get(feature!)!.add(client!)
    }
    const surprises = [...unsupported]
      .filter(([feature]) => !allowed.has(feature))
      .map(([feature, clients]) => `${feature}: ${[...clients]}`)
    expect(surprises).toEqual([])
    expect(allowed.has('<link> element') || allowed.has('@import')).toBe(false)
  })

  it('loads nothing from another server: no font, no stylesheet, no @import', () => {
    expect(html).not.toMatch(/fonts\.googleapis|<link\b|@import/i)
    const hosts = new Set([...html.matchAll(/\bsrc="(https?:[^"]+)"/g)].map((match) => new URL(match[1]!).host))
    // The fixture post embeds a picture from the site it writes about: a post's own image is allowed.
    expect([...hosts].sort()).toEqual(['blog.example.org', 'www.openshift.com'])
  })

  it('writes a plain-text part that reads well: aligned table columns, [alt] for images, numbered links per post', async () => {
    expect(text).toMatch(/\[A sidecar motorcycle\]/)
    // Each post numbers its own links from 1, and lists them at its end.
    const fixture = text.slice(text.indexOf('Короткие новости о контейнерах'))
    expect(fixture).toMatch(/^Короткие новости о контейнерах и виртуализации \[1\]/)
    expect(fixture).toMatch(/Daniel P\. Berrangé \[\d+\]/)
    expect(fixture).toMatch(/^\[1\] https:\/\/blog\.example\.org\/posts\//m)
    expect(fixture).toMatch(/^\[\d+\] https:\/\/www\.openhub\.net\/accounts\/berrange$/m)
    expect(text).not.toMatch(/HERALD-SLOT/)
  })
})
