import { describe, expect, it } from 'vitest'
import {
  type ComposeService,
  envFileNames,
  execForm,
  expectRealInvocation,
  interpolate,
  interpolatedNames,
  loadCompose,
  parseDockerfile,
  readRepoFile,
  words,
} from './support.js'

// No Docker engine runs here: these tests read docker-compose.yml as compose would (YAML with merge keys,
// ${VAR:-default} interpolation) and check it against the code, the Dockerfile and the documentation.

const compose = loadCompose()
const services = compose.services
/** Services running Herald's image (built from the Dockerfile). */
const heraldServices = Object.entries(services).filter(([, service]) => service.build !== undefined)

const environmentOf = (service: ComposeService): Record<string, string> =>
  Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]))
    : (service.environment ?? {})

/** Volumes as source/target, after interpolation with `env` (short syntax is split only then: a default may hold ":"). */
const volumeTargets = (service: ComposeService, env: Record<string, string> = {}) =>
  (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') return volume
    const [source = '', target = ''] = interpolate(volume, env).split(':')
    return { source, target }
  })

describe('docker-compose.yml', () => {
  it('has the services the deployment needs', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'mailpit', 'web', 'worker']))
    expect(heraldServices.map(([name]) => name)).toEqual(expect.arrayContaining(['web', 'worker']))
  })

  it('runs Redis with persistence on, eviction off, a named volume and a healthcheck', () => {
    const redis = services.redis!
    expect(redis.image).toMatch(/^redis:7/)
    const command = words(redis.command)
    const option = (name: string) => command[command.indexOf(name) + 1]
    expect(command).toContain('--appendonly')
    expect(option('--appendonly')).toBe('yes')
    expect(option('--maxmemory-policy')).toBe('noeviction')
    const data = volumeTargets(redis).find((volume) => volume.target === '/data')
    expect(data, 'a volume on /data').toBeDefined()
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.source)
    expect(words(redis.healthcheck?.test).join(' ')).toMatch(/redis-cli ping/)
  })

  it('runs mailpit with SMTP on 1025 and its web UI on 8025', () => {
    const mailpit = services.mailpit!
    expect(mailpit.image).toMatch(/^axllent\/mailpit/)
    const published = (mailpit.ports ?? []).map((port) => interpolate(port).split(':').at(-1))
    expect(published).toEqual(expect.arrayContaining(['1025', '8025']))
  })

  it.each(heraldServices)('%s reads .env, mounts the site at /site and uses the compose Redis and mailpit by default', (_name, service) => {
    const envFiles = (Array.isArray(service.env_file) ? service.env_file : [service.env_file]).map((file) =>
      typeof file === 'object' ? file!.path : file,
    )
    expect(envFiles).toContain('.env')
    const site = volumeTargets(service).find((volume) => volume.target === '/site')
    expect(site, 'the site folder mounted at /site').toBeDefined()
    expect(site!.source).toBe('./examples/site')
    expect(volumeTargets(service, { HERALD_SITE: '/srv/blog' }).find((volume) => volume.target === '/site')?.source).toBe('/srv/blog')

    const environment = environmentOf(service)
    expect(new URL(interpolate(environment.REDIS_URL!)).hostname).toBe('redis')
    const smtp = new URL(interpolate(environment.SMTP_URL!))
    expect(smtp.hostname).toBe('mailpit')
    expect(smtp.port).toBe('1025')
    // Set in .env (or the shell), they win over the defaults.
    expect(interpolate(environment.SMTP_URL!, { SMTP_URL: 'smtps://u:p@mail.example.org:465' })).toBe('smtps://u:p@mail.example.org:465')
    expect(interpolate(service.user ?? '0')).not.toMatch(/^(root|0)(:|$)/)
  })

  it('starts web and worker only once Redis is healthy', () => {
    for (const name of ['web', 'worker']) {
      const dependsOn = services[name]!.depends_on as Record<string, { condition: string }>
      expect(dependsOn.redis?.condition, name).toBe('service_healthy')
    }
  })

  it('serves the web service on 0.0.0.0:8080, the port the image healthcheck asks', () => {
    const command = words(services.web!.command).map((word) => interpolate(word))
    expect(command[0]).toBe('serve')
    expect(command[command.indexOf('--host') + 1]).toBe('0.0.0.0')
    const port = command.includes('--port') ? command[command.indexOf('--port') + 1] : '8080'
    expect((services.web!.ports ?? []).map((mapping) => interpolate(mapping).split(':').at(-1))).toContain(port)
    const healthcheck = parseDockerfile(readRepoFile('Dockerfile')).find((instruction) => instruction.keyword === 'HEALTHCHECK')!
    expect(healthcheck.args).toContain(`http://127.0.0.1:${port}/healthz`)
  })

  it('runs the worker, and turns off the image healthcheck (made for serve) where nothing serves', () => {
    expect(words(services.worker!.command)[0]).toBe('worker')
    for (const [name, service] of heraldServices) {
      if (words(service.command)[0] !== 'serve') expect(service.healthcheck?.disable, name).toBe(true)
    }
  })

  it('never restarts one-shot commands', () => {
    for (const [name, service] of heraldServices) {
      const command = words(service.command)[0]
      if (command !== 'serve' && command !== 'worker') expect(service.restart, name).toBe('no')
    }
  })

  it('uses only real herald commands and options (Dockerfile CMD and every Herald service)', async () => {
    const dockerfile = parseDockerfile(readRepoFile('Dockerfile'))
    const cmd = execForm(dockerfile.filter((instruction) => instruction.keyword === 'CMD').at(-1)!.args)
    const invocations = [cmd, ...heraldServices.map(([, service]) => words(service.command).map((word) => interpolate(word)))]
    for (const argv of invocations) await expectRealInvocation(argv)
  })

  it('documents every $VARIABLE it uses in .env.example', () => {
    const documented = envFileNames(readRepoFile('.env.example'))
    const used = interpolatedNames(readRepoFile('docker-compose.yml'))
    expect(used.size).toBeGreaterThan(0)
    expect([...used].filter((name) => !documented.has(name))).toEqual([])
  })
})
