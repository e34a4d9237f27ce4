import { describe, expect, it } from 'vitest'
import { expectRealInvocation, listRepoFiles, parseUnit, readRepoFile, type UnitFile, unitValue } from './support.js'

// The unit files in deploy/ are read as systemd reads them and checked for the sections they need and for
// agreement with each other and with the herald command line (`systemd-analyze verify` is not run here:
// it needs the herald binary and the user to exist).

const unitNames = listRepoFiles('deploy', (file) => /\.(service|timer)$/.test(file)).map((file) => file.slice('deploy/'.length))
const units = new Map<string, UnitFile>(unitNames.map((name) => [name, parseUnit(readRepoFile(`deploy/${name}`))]))
const services = [...units].filter(([name]) => name.endsWith('.service'))
const unit = (name: string) => units.get(name) ?? expect.fail(`deploy/${name} is missing`)

/** ExecStart split into words: the herald binary, the subcommand and its options. */
const execStart = (file: UnitFile) => unitValue(file, 'Service', 'ExecStart')!.split(/\s+/)

describe('systemd units (deploy/)', () => {
  it('has the run service + timer pair, the web service and the worker service', () => {
    expect(unitNames).toEqual(
      expect.arrayContaining(['herald-run.service', 'herald-run.timer', 'herald-web.service', 'herald-worker.service']),
    )
  })

  it('runs one publish cycle per start of herald-run.service (oneshot, started by the timer only)', () => {
    const run = unit('herald-run.service')
    expect([...run.keys()]).toEqual(['Unit', 'Service'])
    expect(unitValue(run, 'Service', 'Type')).toBe('oneshot')
    expect(execStart(run)[1]).toBe('run')
  })

  it('starts herald-run.service every 10 minutes, catching up after downtime', () => {
    const timer = unit('herald-run.timer')
    expect([...timer.keys()]).toEqual(['Unit', 'Timer', 'Install'])
    expect(unitValue(timer, 'Timer', 'OnCalendar')).toBe('*:0/10')
    expect(unitValue(timer, 'Timer', 'Persistent')).toBe('true')
    const target = unitValue(timer, 'Timer', 'Unit') ?? 'herald-run.service'
    expect(units.has(target), target).toBe(true)
    expect(unitValue(timer, 'Install', 'WantedBy')).toBe('timers.target')
  })

  it.each([
    ['herald-web.service', 'serve'],
    ['herald-worker.service', 'worker'],
  ])('%s runs herald %s, restarts it, and is enabled for multi-user.target', (name, command) => {
    const file = unit(name)
    expect([...file.keys()]).toEqual(['Unit', 'Service', 'Install'])
    expect(execStart(file)[1]).toBe(command)
    expect(unitValue(file, 'Service', 'Restart')).toMatch(/^(on-failure|always)$/)
    expect(unitValue(file, 'Install', 'WantedBy')).toBe('multi-user.target')
    // Long-running: stopping sends SIGTERM (Herald finishes work in flight) and waits at least that long.
    expect(unitValue(file, 'Service', 'KillSignal') ?? 'SIGTERM').toBe('SIGTERM')
    expect(unitValue(file, 'Service', 'TimeoutStopSec')).toBeDefined()
  })

  it.each(services)(
    '%s: one site folder everywhere (WorkingDirectory, --site, ReadWritePaths), Herald after the network and Redis',
    (_name, file) => {
      const site = unitValue(file, 'Service', 'WorkingDirectory')!
      expect(site).toMatch(/^\//)
      const words = execStart(file)
      expect(words[0]).toMatch(/\/herald$/)
      expect(words[words.indexOf('--site') + 1]).toBe(site)
      // ProtectSystem=strict makes everything read-only but ReadWritePaths: Herald writes public/, .herald/, outbox/.
      if (unitValue(file, 'Service', 'ProtectSystem') === 'strict')
        expect(unitValue(file, 'Service', 'ReadWritePaths')!.split(/\s+/)).toContain(site)
      expect(unitValue(file, 'Unit', 'After')).toMatch(/network-online\.target/)
      expect(unitValue(file, 'Unit', 'Wants')).toMatch(/network-online\.target/)
      expect(unitValue(file, 'Service', 'User')).not.toMatch(/^(root|0)?$/)
    },
  )

  it('gives every service the same user, site and environment file, so they share the secret and the Redis prefix', () => {
    const pick = (key: string) => new Set(services.map(([, file]) => unitValue(file, 'Service', key)))
    for (const key of ['User', 'Group', 'WorkingDirectory', 'EnvironmentFile']) expect(pick(key).size, key).toBe(1)
    // A copy of .env.example (optional: the leading "-").
    expect([...pick('EnvironmentFile')][0]).toMatch(/^-?\/etc\/.*\.env$/)
  })

  it('uses only real herald commands and options', async () => {
    for (const [, file] of services) await expectRealInvocation(execStart(file).slice(1))
  })

  it('has no comment after a value (systemd would take it as part of the value)', () => {
    for (const name of unitNames) {
      for (const line of readRepoFile(`deploy/${name}`).split('\n')) {
        if (/^\s*[#;[]/.test(line) || !line.includes('=')) continue
        expect(line, `deploy/${name}`).not.toMatch(/\s[#;]/)
      }
    }
  })
})
