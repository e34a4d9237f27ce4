import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const EXAMPLE_SITE = path.join(REPO_ROOT, 'examples/site')
/** Files the tests read that Herald does not own (schemas, real-world samples), each folder with a note of its source. */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures')
export const FIXTURE_POST = path.join(EXAMPLE_SITE, 'posts/000_349065e2717ee7fd.txt')

/** A minimal valid herald.yml; `extra` is appended verbatim (YAML). */
export function siteConfig(extra = '', site: Partial<Record<'url' | 'title' | 'language' | 'timezone' | 'author', string>> = {}): string {
  const values = { url: 'https://blog.example.org/', title: 'Test Blog', language: 'en', timezone: 'UTC', author: 'Site Author', ...site }
  return ['site:', ...Object.entries(values).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`), extra].join('\n')
}

/** Creates a temporary site folder with `herald.yml` and the given files (paths relative to the site). */
export async function makeSite(files: Record<string, string | Buffer>, config = siteConfig()): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-site-'))
  await writeFile(path.join(dir, 'herald.yml'), config)
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), content)
  }
  return dir
}

/** Copies the bundled example site into a temporary folder (tests never write into the repository). */
export async function copyExampleSite(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-example-'))
  await cp(EXAMPLE_SITE, dir, { recursive: true, filter: (source) => !/[/\\](public|outbox|\.herald)$/.test(source) })
  return dir
}

/** A post file in Nikola's format. */
export function post(fields: Record<string, string>, body = 'Body text.\n'): string {
  return (
    Object.entries(fields)
      .map(([key, value]) => `.. ${key}: ${value}`)
      .join('\n') +
    '\n\n' +
    body
  )
}
