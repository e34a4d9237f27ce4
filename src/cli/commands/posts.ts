import type { Command } from 'commander'
import { loadSitePosts } from '../../app/site-posts.js'
import { ExitCode } from '../../errors.js'
import type { PostCollection } from '../../posts/types.js'
import { publicationState } from '../../publishing/live.js'
import { COMMAND_HELP } from '../help.js'
import { parseNow } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

/** One row of `herald posts --json`: stable keys for scripts. */
export interface PostListing {
  file: string
  slug: string | null
  title: string | null
  date: string | null
  updated: string | null
  status: 'live' | 'scheduled' | 'draft' | 'private' | 'error'
  tags: string[]
  category: string | null
  author: string | null
  permalink: string | null
  warnings: string[]
  errors: string[]
}

export function registerPosts(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('posts')
      .description(COMMAND_HELP.posts.description)
      .option('--json', 'print a JSON array (stable keys) instead of a table')
      .option('--now <iso>', 'judge live/scheduled as of this moment instead of now'),
  ).action(async (options: CommonOptions & { json?: boolean; now?: string }) => {
    const now = parseNow(options.now)
    const context = await openSite(options, registry.runtime)
    const collection = await loadSitePosts(context)
    const listing = listPosts(collection, now)
    if (options.json) println(registry.runtime, JSON.stringify(listing, null, 2))
    else println(registry.runtime, formatTable(listing))
    for (const row of listing) {
      for (const warning of row.warnings) context.logger.warn(warning)
      for (const error of row.errors) context.logger.error(error)
    }
    registry.exitCode = collection.failures.length > 0 ? ExitCode.postErrors : ExitCode.ok
  })
}

/** Posts and failures as listing rows, in file order. */
export function listPosts(collection: PostCollection, now: Date): PostListing[] {
  const rows: PostListing[] = collection.posts.map((post) => ({
    file: post.file,
    slug: post.slug,
    title: post.title,
    date: post.date.iso,
    updated: post.updated.iso,
    status: publicationState(post, now),
    tags: [...post.tags],
    category: post.category,
    author: post.author,
    permalink: post.permalink,
    warnings: [...post.warnings],
    errors: [],
  }))
  for (const failure of collection.failures) {
    rows.push({
      file: failure.file,
      slug: failure.slug,
      title: failure.title,
      date: null,
      updated: null,
      status: 'error',
      tags: [],
      category: null,
      author: null,
      permalink: null,
      warnings: [...failure.warnings],
      errors: [...failure.errors],
    })
  }
  return rows.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

function formatTable(rows: readonly PostListing[]): string {
  const header = ['STATUS', 'DATE', 'SLUG', 'TITLE', 'TAGS']
  const cells = rows.map((row) => [
    row.status + (row.warnings.length > 0 ? ` (${row.warnings.length} warning${row.warnings.length > 1 ? 's' : ''})` : ''),
    row.date ?? '-',
    row.slug ?? '-',
    truncate(row.title ?? row.file, 48),
    truncate(row.tags.join(', '), 40),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => [...cell[column]!].length)))
  const line = (cell: string[]) =>
    cell
      .map((text, column) => text + ' '.repeat(widths[column]! - [...text].length))
      .join('  ')
      .trimEnd()
  const counts = new Map<string, number>()
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1)
  const summary = `${rows.length} posts: ${[...counts].map(([status, count]) => `${count} ${status}`).join(', ') || 'none'}`
  return [line(header), ...cells.map(line), '', summary].join('\n')
}

function truncate(text: string, width: number): string {
  const chars = [...text]
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`
}
