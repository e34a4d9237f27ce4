import { mkdir, mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type RenderedFeedFile, writeFeedFiles } from '../../src/feeds/write.js'

const outputDir = () => mkdtemp(path.join(tmpdir(), 'herald-feeds-'))
const rss = (body: string): RenderedFeedFile => ({
  format: 'rss',
  path: 'rss.xml',
  content: `<?xml version="1.0"?>\n<rss version="2.0"><channel>${body}</channel></rss>\n`,
})
const json: RenderedFeedFile = {
  format: 'json',
  path: 'categories/x.json',
  content: '{"version":"https://jsonfeed.org/version/1.1","items":[]}\n',
}
const PAST = new Date('2020-01-01T00:00:00Z')

describe('writeFeedFiles', () => {
  it('writes new files (creating folders), then leaves identical ones alone, mtime untouched', async () => {
    const dir = await outputDir()
    const files = [rss('<title>a</title>'), json]
    expect(await writeFeedFiles(dir, files)).toEqual({ written: ['rss.xml', 'categories/x.json'], unchanged: [], failed: [] })
    expect(await readFile(path.join(dir, 'rss.xml'), 'utf8')).toBe(files[0]!.content)
    await utimes(path.join(dir, 'rss.xml'), PAST, PAST)

    expect(await writeFeedFiles(dir, files)).toEqual({ written: [], unchanged: ['rss.xml', 'categories/x.json'], failed: [] })
    expect((await stat(path.join(dir, 'rss.xml'))).mtime.getTime()).toBe(PAST.getTime())
  })

  it('replaces a file whose bytes changed and leaves no temporary files behind', async () => {
    const dir = await outputDir()
    await writeFeedFiles(dir, [rss('<title>a</title>')])
    expect(await writeFeedFiles(dir, [rss('<title>b</title>')])).toMatchObject({ written: ['rss.xml'] })
    expect(await readFile(path.join(dir, 'rss.xml'), 'utf8')).toContain('<title>b</title>')
    expect(await readdir(dir)).toEqual(['rss.xml'])
  })

  it('refuses malformed XML, naming the file and the place, and keeps the previous good file', async () => {
    const dir = await outputDir()
    const good = rss('<title>good</title>')
    await writeFeedFiles(dir, [good])
    const result = await writeFeedFiles(dir, [rss('<title>a ]]> b <</title>'), { ...json, content: '{"broken":' }])
    expect(result.written).toEqual([])
    expect(result.failed).toEqual([
      { path: 'rss.xml', error: expect.stringMatching(/^not well-formed XML: line 2, column \d+: /) },
      { path: 'categories/x.json', error: expect.stringMatching(/^not valid JSON/) },
    ])
    expect(await readFile(path.join(dir, 'rss.xml'), 'utf8')).toBe(good.content)
    expect(await readdir(dir)).toEqual(['rss.xml'])
  })

  it('refuses a path that leaves the output folder', async () => {
    const dir = await outputDir()
    const result = await writeFeedFiles(path.join(dir, 'public'), [{ ...json, path: '../escaped.json' }])
    expect(result.failed).toEqual([{ path: '../escaped.json', error: expect.stringMatching(/leaves the output folder/) }])
  })

  it('reports a file it cannot write and goes on with the others', async () => {
    const dir = await outputDir()
    await mkdir(path.join(dir, 'blocked.xml'))
    await writeFile(path.join(dir, 'categories'), 'a file where a folder should be')
    const result = await writeFeedFiles(dir, [{ ...rss('<title>x</title>'), path: 'blocked.xml' }, json, rss('<title>ok</title>')])
    expect(result.written).toEqual(['rss.xml'])
    expect(result.failed.map((failure) => failure.path)).toEqual(['blocked.xml', 'categories/x.json'])
  })
})
