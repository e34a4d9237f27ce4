import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/site.js'
import {
  composeMentions,
  envFileNames,
  envVarsReadByCode,
  interpolatedNames,
  listRepoFiles,
  loadCompose,
  readRepoFile,
  runtimeSourceFiles,
} from './support.js'

// Keeps the operator's documentation honest: what it names exists, and what the code reads is documented.
// The sets are computed from the source each time, so a new env var or a renamed service fails here.

const DEPLOYMENT = 'docs/deployment.md'
const ROOT_FILES = new Set(['Dockerfile', '.dockerignore', 'docker-compose.yml', '.env.example', 'worker.ts', 'package.json'])
const readIfExists = (relative: string) => (existsSync(path.join(REPO_ROOT, relative)) ? readRepoFile(relative) : '')
const composeServices = new Set(Object.keys(loadCompose().services))

/** Rows of the first Markdown table whose header's first cell is `header`: the first cell of each row, backticks removed. */
function tableFirstColumn(markdown: string, header: string): string[] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((line) => new RegExp(`^\\|\\s*${header}\\s*\\|`, 'i').test(line))
  if (start < 0) return []
  const rows: string[] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line.split('|')[1]!.trim().replace(/`/g, ''))
  }
  return rows
}

describe('operator documentation', () => {
  const variables = envVarsReadByCode()

  it('finds the environment variables the code reads', () => {
    // A scanner that finds nothing would make the checks below pass for nothing.
    expect(variables.has('REDIS_URL'), `found: ${[...variables.keys()].join(', ')}`).toBe(true)
  })

  it('documents every environment variable the code reads in .env.example', () => {
    const documented = envFileNames(readRepoFile('.env.example'))
    expect([...variables.keys()].filter((name) => !documented.has(name))).toEqual([])
  })

  it(`documents every environment variable the code reads in ${DEPLOYMENT}'s reference table`, () => {
    const table = new Set(tableFirstColumn(readRepoFile(DEPLOYMENT), 'variable'))
    expect(table.size).toBeGreaterThan(0)
    expect([...variables.keys()].filter((name) => !table.has(name))).toEqual([])
  })

  it('documents nothing in .env.example that neither the code nor docker-compose.yml uses', () => {
    const used = new Set([...variables.keys(), ...interpolatedNames(readRepoFile('docker-compose.yml'))])
    expect([...envFileNames(readRepoFile('.env.example'))].filter((name) => !used.has(name))).toEqual([])
  })

  it(`lists exactly the compose services in ${DEPLOYMENT}'s services table`, () => {
    expect(new Set(tableFirstColumn(readRepoFile(DEPLOYMENT), 'service'))).toEqual(composeServices)
  })

  it('names only services that exist in every `docker compose …` command of the docs, the README and the code', () => {
    const files = [
      'README.md',
      ...listRepoFiles('docs', (file) => file.endsWith('.md')),
      ...runtimeSourceFiles(),
      'Dockerfile',
      'docker-compose.yml',
      '.env.example',
      ...listRepoFiles('deploy'),
    ]
    const mentions = files.flatMap((file) => composeMentions(file, readIfExists(file)))
    const named = mentions.filter((mention) => mention.services.length > 0)
    // The deployment guide walks through compose: it must name services, or this check checks nothing.
    expect(named.filter((mention) => mention.file === DEPLOYMENT).length).toBeGreaterThanOrEqual(5)
    const unknown = named.flatMap((mention) =>
      mention.services
        .filter((service) => !composeServices.has(service))
        .map((service) => `${mention.file}: ${mention.command} (${service})`),
    )
    expect(unknown).toEqual([])
  })

  it('reads service names out of compose commands the way compose does', () => {
    const services = (text: string) => composeMentions('x', text).flatMap((mention) => mention.services)
    expect(services('docker compose up -d redis mailpit')).toEqual(['redis', 'mailpit'])
    expect(services('`docker compose run --rm herald subscribers add a@b.example`')).toEqual(['herald'])
    expect(services('docker compose --profile tools up -d --scale worker=3 worker && docker compose logs -f web')).toEqual([
      'worker',
      'web',
    ])
    expect(services('docker compose exec -e A=1 web herald status')).toEqual(['web'])
    expect(services('see docker-compose.yml')).toEqual([])
    expect(services('docker compose up -d --scale worker=3 (they share the queue)')).toEqual([])
  })

  it(`names only repository files that exist in ${DEPLOYMENT}`, () => {
    // Paths are written as code (not links), so the sections read the same wherever they are moved.
    const named = [...readRepoFile(DEPLOYMENT).matchAll(/`([^`\s<>]+)`/g)]
      .map((match) => match[1]!)
      .filter((word) => /^(deploy|docs|templates|src|examples|bin|patches)\/[\w./-]*\w$/.test(word) || ROOT_FILES.has(word))
    expect(named.length).toBeGreaterThan(5)
    expect(named.filter((file) => !existsSync(path.join(REPO_ROOT, file)))).toEqual([])
  })
})
