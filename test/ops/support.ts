import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { expect } from 'vitest'
import { parse } from 'yaml'
import { runHerald } from '../support/cli.js'
import { REPO_ROOT } from '../support/site.js'

/** Reads a file of the repository as text. */
export const readRepoFile = (relative: string): string => readFileSync(path.join(REPO_ROOT, relative), 'utf8')

/** Every file under a folder of the repository (relative paths), recursively. */
export function listRepoFiles(relative: string, accept: (file: string) => boolean = () => true): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(REPO_ROOT, dir))) {
      const child = path.posix.join(dir, name)
      if (statSync(path.join(REPO_ROOT, child)).isDirectory()) walk(child)
      else if (accept(child)) out.push(child)
    }
  }
  walk(relative)
  return out.sort()
}

/** The TypeScript/JavaScript that runs in production: `src/`, `worker.ts`, `bin/`. */
export function runtimeSourceFiles(): string[] {
  return [
    ...listRepoFiles('src', (file) => /\.[cm]?[jt]s$/.test(file)),
    'worker.ts',
    ...listRepoFiles('bin', (file) => /\.[cm]?js$/.test(file)),
  ]
}

/**
 * Environment variables the code reads, found in the source: `env.NAME`, `env['NAME']` and `process.env.NAME`
 * (whatever the object is called: `env`, `runtime.env`, `process.env`). Names are upper case by convention.
 */
export function envVarsReadByCode(): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const patterns = [/\benv\.([A-Z][A-Z0-9_]*)\b/g, /\benv\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g]
  for (const file of runtimeSourceFiles()) {
    const source = readRepoFile(file)
    for (const pattern of patterns) {
      for (const match of source.matchAll(pattern)) found.set(match[1]!, [...(found.get(match[1]!) ?? []), file])
    }
  }
  return found
}

/** Variables documented in an env file: `NAME=…` lines, commented out or not. */
export function envFileNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!))
}

/** A compose service as far as these tests look at it. */
export interface ComposeService {
  image?: string
  build?: string | { context: string }
  command?: string[] | string
  entrypoint?: string[] | string
  environment?: Record<string, string> | string[]
  env_file?: Array<string | { path: string; required?: boolean }> | string
  volumes?: Array<string | { type: string; source: string; target: string }>
  ports?: string[]
  depends_on?: Record<string, { condition: string }> | string[]
  healthcheck?: { test?: string[] | string; disable?: boolean }
  profiles?: string[]
  restart?: string
  user?: string
  [key: string]: unknown
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
}

/** docker-compose.yml, with YAML merge keys (`<<: *herald`) applied as compose applies them. */
export function loadCompose(): ComposeFile {
  return parse(readRepoFile('docker-compose.yml'), { merge: true }) as ComposeFile
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME-default}`, with the variables given (default: none set). */
export function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g,
    (_all, name: string, colon: string, fallback: string | undefined) => {
      const set = env[name]
      if (set === undefined || (colon === ':' && set === '')) return fallback ?? ''
      return set
    },
  )
}

/** Variable names used in `${…}` anywhere in a text. */
export function interpolatedNames(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!))
}

/** A command as a list of words (compose accepts both a list and a string). */
export function words(command: string[] | string | undefined): string[] {
  if (command === undefined) return []
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean)
}

/** One Dockerfile instruction: keyword (upper case), its arguments as written, and the stage it belongs to. */
export interface DockerInstruction {
  readonly keyword: string
  readonly args: string
  readonly stage: number
}

/** Dockerfile instructions with line continuations joined and comments dropped. Stage 0 is before the first FROM. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const logical: string[] = []
  let current = ''
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue
    if (/^\s*#/.test(line)) continue // comment lines inside a continuation are skipped too
    const continued = /\\\s*$/.test(line)
    current += (current ? ' ' : '') + line.replace(/\\\s*$/, '').trim()
    if (!continued) {
      if (current.trim()) logical.push(current.trim())
      current = ''
    }
  }
  let stage = 0
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/)
    if (keyword.toUpperCase() === 'FROM') stage++
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage }
  })
}

/** Exec-form arguments (`["a", "b"]`) of an instruction. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['))
  return JSON.parse(json) as string[]
}

/**
 * Whether `.dockerignore` leaves a path in the build context: rules in order, the last matching one wins,
 * `!` re-includes; a rule matching a parent folder matches everything under it.
 */
export function inBuildContext(relative: string, dockerignore: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  const parents = relative.split('/').map((_part, index, parts) => parts.slice(0, index + 1).join('/'))
  let included = true
  for (const rule of rules) {
    const negated = rule.startsWith('!')
    const pattern = (negated ? rule.slice(1) : rule).replace(/^\/+|\/+$/g, '')
    const regex = new RegExp(
      `^${pattern
        .split(/(\*\*|\*|\?)/)
        .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    )
    if (parents.some((candidate) => regex.test(candidate))) included = negated
  }
  return included
}

/** A systemd unit file: section → key → values (a key may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>

/** Parses a systemd unit file (comments, sections, repeated keys; no line continuations in ours). */
export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map()
  let section: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header) {
      section = new Map()
      unit.set(header[1]!, section)
      continue
    }
    const equals = line.indexOf('=')
    if (!section || equals < 1) throw new Error(`not a unit file line: ${raw}`)
    const key = line.slice(0, equals).trim()
    section.set(key, [...(section.get(key) ?? []), line.slice(equals + 1).trim()])
  }
  return unit
}

/** The one value of a key (the last one, as systemd takes it for most keys). */
export function unitValue(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1)
}

/** A `docker compose …` command found in documentation or source, with the services it names. */
export interface ComposeMention {
  readonly file: string
  readonly command: string
  readonly services: string[]
}

const GLOBAL_FLAGS_WITH_VALUE = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--profile',
  '--env-file',
  '--project-directory',
  '--parallel',
  '--progress',
  '--ansi',
])
const FLAGS_WITH_VALUE = new Set([
  '--scale',
  '-e',
  '--env',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '--entrypoint',
  '--name',
  '-l',
  '--label',
  '-v',
  '--volume',
  '--publish',
  '--tail',
  '--since',
  '--until',
  '--timeout',
  '--index',
  '--wait-timeout',
  '--pull',
  '--signal',
  '-s',
])
/** Subcommands whose first positional argument is a service (the rest is a command to run in it). */
const ONE_SERVICE = new Set(['run', 'exec', 'port', 'cp'])
/** Subcommands whose positional arguments are all services. */
const MANY_SERVICES = new Set([
  'up',
  'start',
  'stop',
  'restart',
  'logs',
  'pull',
  'build',
  'rm',
  'kill',
  'create',
  'pause',
  'unpause',
  'top',
  'ps',
  'config',
  'events',
  'images',
  'down',
  'wait',
  'watch',
])

/** Finds `docker compose …` commands in a text and the services each names (placeholders such as `<service>` are skipped). */
export function composeMentions(file: string, text: string): ComposeMention[] {
  const mentions: ComposeMention[] = []
  for (const match of text.matchAll(/docker[ -]compose((?:[ \t]+[^\s`|;&#()"']+)*)/g)) {
    const tokens = match[1]!.trim().split(/\s+/).filter(Boolean)
    let index = 0
    while (index < tokens.length && tokens[index]!.startsWith('-')) index += GLOBAL_FLAGS_WITH_VALUE.has(tokens[index]!) ? 2 : 1
    const subcommand = tokens[index++]
    if (!subcommand) continue
    const positionals: string[] = []
    while (index < tokens.length) {
      const token = tokens[index]!
      if (ONE_SERVICE.has(subcommand) && positionals.length === 1) break
      if (token.startsWith('-')) index += FLAGS_WITH_VALUE.has(token) && !token.includes('=') ? 2 : 1
      else {
        positionals.push(token)
        index++
      }
    }
    const services =
      ONE_SERVICE.has(subcommand) || MANY_SERVICES.has(subcommand)
        ? positionals.filter((token) => /^[a-z0-9][a-z0-9._-]*$/.test(token))
        : []
    mentions.push({ file, command: `docker compose${match[1]!.trimEnd()}`, services })
  }
  return mentions
}

/** Every `--option` of a herald invocation appears in that command's `--help`. */
export async function expectRealInvocation(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv
  const help = await runHerald([command!, '--help'], {})
  expect(help.code, `herald ${command} --help`).toBe(0)
  for (const option of rest.filter((word) => word.startsWith('--'))) {
    expect(help.stdout, `herald ${argv.join(' ')}: ${option}`).toContain(option.split('=')[0])
  }
}
