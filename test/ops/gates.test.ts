import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/site.js'

const run = promisify(execFile)
const bin = (name: string) => path.join(REPO_ROOT, 'node_modules', '.bin', name)

let dir: string
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** A scratch project with the repository's gate configuration and the given sources. */
async function project(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'herald-gates-'))
  for (const name of ['.dependency-cruiser.cjs', 'tsconfig.json', 'biome.json']) {
    await copyFile(path.join(REPO_ROOT, name), path.join(dir, name))
  }
  // The tools find TypeScript (and Biome its schema) through node_modules, as in the repository.
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  await writeFile(path.join(dir, '.gitignore'), 'node_modules\n')
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), text)
  }
  return dir
}

async function exitOf(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, output: failed.stdout + failed.stderr }
  }
}

describe('the gates npm test runs', () => {
  it('fails on an import cycle, and on an import against the layers (app → cli)', async () => {
    const cwd = await project({
      'src/mail/a.ts': "import { b } from './b.js'\nexport const a = () => b\n",
      'src/mail/b.ts': "import { a } from './a.js'\nexport const b = () => a\n",
      'src/app/use-case.ts': "import { command } from '../cli/command.js'\nexport const useCase = command\n",
      'src/cli/command.ts': 'export const command = 1\n',
      // A cycle through type-only imports is a cycle too (cli/main ↔ commands was one).
      'src/http/server.ts': "import type { Route } from './routes.js'\nexport type Server = { routes: Route[] }\n",
      'src/http/routes.ts': "import type { Server } from './server.js'\nexport type Route = (server: Server) => void\n",
    })
    const result = await exitOf(bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs'], cwd)
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('no-cycles')
    expect(result.output).toContain('app-below-entry-points')
    expect(result.output).toMatch(/no-cycles: src\/http\/(server|routes)\.ts/)
  })

  it('passes a clean tree', async () => {
    const cwd = await project({
      'src/mail/a.ts': 'export const a = 1\n',
      'src/app/b.ts': "import { a } from '../mail/a.js'\nexport const b = a\n",
    })
    expect((await exitOf(bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs'], cwd)).code).toBe(0)
  })

  it('fails on a lint error and on unformatted code', async () => {
    const lint = await project({ 'src/a.ts': 'export function a(): void {\n  debugger\n}\n' })
    expect((await exitOf(bin('biome'), ['ci', '.'], lint)).code).not.toBe(0)
    await rm(lint, { recursive: true, force: true })
    const format = await project({ 'src/a.ts': 'export const a    =  {b:1}\n' })
    const result = await exitOf(bin('biome'), ['ci', '.'], format)
    expect(result.code).not.toBe(0)
    expect(result.output).toMatch(/format/i)
  })
})
