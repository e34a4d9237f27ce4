import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/site.js'

/** Source files the team writes (fixtures are other people's text and keep their lines). */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard', 'src', 'test', 'bench', 'scripts', 'worker.ts', 'bin'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
  return listed.split('\n').filter((file) => /\.(ts|js|mjs|cjs|lua|py)$/.test(file) && !file.startsWith('test/fixtures/'))
}

describe('house style', () => {
  it('keeps every line of source within 140 columns (strings and comments too)', () => {
    const long: string[] = []
    for (const file of sourceFiles()) {
      readFileSync(path.join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if ([...line].length > 140) long.push(`${file}:${index + 1} (${[...line].length} columns)`)
        })
    }
    expect(long).toEqual([])
  })

  it('keeps Lua scripts beside their owner, each with a header naming KEYS, ARGV and the reply', () => {
    const scripts = sourceFiles().filter((file) => file.endsWith('.lua') && !file.includes('/includes/'))
    expect(scripts.length).toBeGreaterThan(10)
    for (const file of scripts) {
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8')
      expect(text, file).toMatch(/^--\[\[[\s\S]*?Returns?:[\s\S]*?\]\]/)
      expect(file).toMatch(/^src\/(editions|queue|subscribers|bounces|infra)\/lua\//)
    }
  })

  it('spells Redis keys in one module only', () => {
    const keyLiteral = /['`"]\{?[a-z]*\}?:(subscriber|edition|ledger|lock|worker|stats)[:'`"]/
    const spellsKeys = (file: string) => keyLiteral.test(readFileSync(path.join(REPO_ROOT, file), 'utf8'))
    const modules = sourceFiles().filter((file) => file.startsWith('src/') && file.endsWith('.ts') && file !== 'src/infra/keys.ts')
    const offenders = modules.filter(spellsKeys)
    expect(offenders).toEqual([])
  })
})
