import { existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/site.js'
import { type DockerInstruction, execForm, inBuildContext, parseDockerfile, readRepoFile, runtimeSourceFiles } from './support.js'

// No Docker engine runs here: the Dockerfile is read instruction by instruction and checked against the
// repository (what it copies exists and is in the build context; what runs in the image is installed).

const instructions = parseDockerfile(readRepoFile('Dockerfile'))
const dockerignore = readRepoFile('.dockerignore')
const finalStage = Math.max(...instructions.map((instruction) => instruction.stage))
const inStage = (stage: number) => instructions.filter((instruction) => instruction.stage === stage)
const final = inStage(finalStage)
const packageJson = JSON.parse(readRepoFile('package.json')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  engines: { node: string }
  scripts: Record<string, string>
}

/** ARG defaults declared before the first FROM (usable in FROM lines). */
const globalArgs = Object.fromEntries(
  inStage(0)
    .filter((instruction) => instruction.keyword === 'ARG')
    .map((instruction) => instruction.args.split('=') as [string, string]),
)
const fromImage = (instruction: DockerInstruction) =>
  instruction.args.split(/\s+/)[0]!.replace(/\$\{?(\w+)\}?/g, (_all, name: string) => globalArgs[name] ?? '')

describe('Dockerfile', () => {
  it('is multi-stage, on a Node image that satisfies package.json engines', () => {
    const froms = instructions.filter((instruction) => instruction.keyword === 'FROM')
    expect(froms.length).toBeGreaterThanOrEqual(2)
    const required = Number(/(\d+)/.exec(packageJson.engines.node)![1])
    for (const from of froms) {
      const image = fromImage(from)
      expect(image).toMatch(/^node:\d+/)
      expect(Number(/^node:(\d+)/.exec(image)![1]), image).toBeGreaterThanOrEqual(required)
    }
  })

  it('installs production dependencies with npm ci --omit=dev after copying the lockfile and patches/ (postinstall: patch-package)', () => {
    const install = instructions.findIndex(
      (instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(instruction.args),
    )
    expect(install).toBeGreaterThan(-1)
    expect(instructions[install]!.args).toMatch(/--omit=dev\b/)
    expect(packageJson.scripts.postinstall).toMatch(/patch-package/)
    expect(Object.keys(packageJson.dependencies)).toContain('patch-package')
    const copiedBefore = instructions
      .slice(0, install)
      .filter((instruction) => instruction.keyword === 'COPY' && instruction.stage === instructions[install]!.stage)
      .map((instruction) => instruction.args)
      .join(' ')
    for (const needed of ['package.json', 'package-lock.json', 'patches']) expect(copiedBefore, needed).toContain(needed)
    // The final image gets node_modules from that stage, not from the build context.
    const stageName = /\bAS\s+(\S+)/i.exec(
      instructions.find((instruction) => instruction.keyword === 'FROM' && instruction.stage === instructions[install]!.stage)!.args,
    )?.[1]
    expect(
      final.some(
        (instruction) =>
          instruction.keyword === 'COPY' && instruction.args.includes(`--from=${stageName}`) && instruction.args.includes('node_modules'),
      ),
    ).toBe(true)
  })

  it('ships the compiled JavaScript, built in a stage of its own', () => {
    const built = final.find((instruction) => instruction.keyword === 'COPY' && /--from=\S+ \/app\/dist \.\/dist/.test(instruction.args))
    expect(built, 'COPY --from=<build> /app/dist ./dist').toBeDefined()
    const buildStage = /--from=(\S+)/.exec(built!.args)![1]
    const from = instructions.find(
      (instruction) => instruction.keyword === 'FROM' && new RegExp(`\\bAS\\s+${buildStage}\\b`, 'i').test(instruction.args),
    )
    const stage = inStage(from!.stage)
    expect(stage.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args))).toBe(true)
    expect(packageJson.scripts.prepare).toMatch(/scripts\/build\.mjs/)
    // What the compiled code reads beside itself at run time is in the image too.
    for (const needed of ['templates/', 'patches/', 'bin/'])
      expect(final.some((instruction) => instruction.keyword === 'COPY' && instruction.args.startsWith(needed))).toBe(true)
  })

  it('runs as a non-root user, under tini, with herald as the entry point', () => {
    const user = final.filter((instruction) => instruction.keyword === 'USER').at(-1)
    expect(user, 'USER in the final stage').toBeDefined()
    expect(user!.args.split(':')[0]).not.toMatch(/^(root|0)$/)
    const entrypoint = execForm(final.find((instruction) => instruction.keyword === 'ENTRYPOINT')!.args)
    expect(entrypoint[0]).toMatch(/tini$/)
    expect(entrypoint).toContain('--')
    expect(entrypoint.at(-1)).toBe('herald')
    expect(final.some((instruction) => instruction.keyword === 'RUN' && /apt-get install[^&]*\btini\b/.test(instruction.args))).toBe(true)
    // `herald` on PATH is bin/herald.js, the package's own bin.
    expect(
      final.some(
        (instruction) => instruction.keyword === 'RUN' && /ln -s \/app\/bin\/herald\.js \/usr\/local\/bin\/herald/.test(instruction.args),
      ),
    ).toBe(true)
    expect(readRepoFile('bin/herald.js').startsWith('#!/usr/bin/env node')).toBe(true)
    expect((JSON.parse(readRepoFile('package.json')) as { bin: Record<string, string> }).bin.herald).toBe('./bin/herald.js')
  })

  it('has a HEALTHCHECK on /healthz that needs no curl', () => {
    const healthcheck = final.find((instruction) => instruction.keyword === 'HEALTHCHECK')
    expect(healthcheck).toBeDefined()
    const command = execForm(healthcheck!.args.slice(healthcheck!.args.indexOf('CMD') + 3))
    expect(command[0]).toBe('node')
    expect(command.join(' ')).toContain('/healthz')
  })

  it('serves the site mounted at /site by default', () => {
    expect(final.filter((instruction) => instruction.keyword === 'WORKDIR').at(-1)!.args).toBe('/site')
    const cmd = execForm(final.find((instruction) => instruction.keyword === 'CMD')!.args)
    expect(cmd[0]).toBe('serve')
    expect(cmd[cmd.indexOf('--host') + 1]).toBe('0.0.0.0')
  })

  it('copies only files that exist and that .dockerignore leaves in the build context', () => {
    const sources = instructions
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from='))
      .flatMap((instruction) =>
        instruction.args
          .split(/\s+/)
          .filter((word) => !word.startsWith('--'))
          .slice(0, -1),
      )
    expect(sources.length).toBeGreaterThan(3)
    for (const source of sources) {
      const relative = source.replace(/\/$/, '')
      expect(existsSync(path.join(REPO_ROOT, relative)), source).toBe(true)
      expect(inBuildContext(relative, dockerignore), `${source} in the build context`).toBe(true)
    }
    // What runs in the image: the entry points, every source file, the templates.
    for (const needed of ['worker.ts', 'bin/herald.js', 'src/cli/main.ts', 'templates/digest.mjml', 'templates/confirm.mjml']) {
      expect(inBuildContext(needed, dockerignore), needed).toBe(true)
    }
    for (const secret of ['.env', '.git/config', 'node_modules/tsx/package.json', 'examples/site/.herald/secret']) {
      expect(inBuildContext(secret, dockerignore), `${secret} kept out`).toBe(false)
    }
  })

  it('has every package the running code imports among the production dependencies (npm ci --omit=dev)', () => {
    const builtins = new Set(builtinModules)
    const imported = new Map<string, string>()
    for (const file of runtimeSourceFiles()) {
      const source = readRepoFile(file)
      const specifiers = [
        // Static imports and re-exports, except `import type` / `export type` (erased before running).
        ...[...source.matchAll(/^(?:import|export)\s+(?!type\s)([^;]*?)\bfrom\s+['"]([^'"]+)['"]/gm)]
          .filter((match) => !/\n(?:import|export)\b/.test(match[1]!))
          .map((match) => match[2]!),
        ...[...source.matchAll(/^import\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]!),
        ...[...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1]!),
      ]
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
        imported.set(name, file)
      }
    }
    expect(imported.has('tsx'), 'bin/herald.js loads tsx').toBe(true)
    const missing = [...imported].filter(([name]) => !(name in packageJson.dependencies)).map(([name, file]) => `${name} (${file})`)
    expect(missing).toEqual([])
  })
})
