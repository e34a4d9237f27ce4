import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { postsForSubscriber, snapshotPost } from '../../editions/snapshot.js'
import { previewNewPosts } from '../../publishing/announce.js'
import { livePosts } from '../../publishing/live.js'
import type { CommandRegistry } from '../main.js'
import { loadAndReport } from '../../app/site-posts.js'
import { openSite, parseNow, println, UsageError, withCommonOptions, type CommonOptions } from '../runtime.js'
import { openDigestServices } from '../../app/services.js'
import { stateDir } from '../../app/site-posts.js'

interface PreviewOptions extends CommonOptions {
  now?: string
  out?: string
  announceLatest?: string
  open?: boolean
}

export function registerPreview(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('preview')
      .description('Render the next digest (what `herald run` would send) to an HTML file and print its subject, posts and recipient count. Sends nothing, changes nothing.')
      .option('--now <iso>', 'as of this moment')
      .option('--out <file>', 'where to write the HTML (default: <site>/.herald/preview.html)')
      .option('--announce-latest <n>', 'on first activation, preview the newest N posts (as `run --announce-latest N` would send)')
      .option('--open', 'open the file in the default browser'),
  ).action(async (options: PreviewOptions) => {
    const now = parseNow(options.now)
    const announceLatest = options.announceLatest === undefined ? 0 : Number(options.announceLatest)
    if (!Number.isInteger(announceLatest) || announceLatest < 0) throw new UsageError(`--announce-latest: expected a whole number ≥ 0 (got ${JSON.stringify(options.announceLatest)})`)
    const context = openSite(options, registry.runtime)
    const { runtime } = registry
    const services = await openDigestServices(context)
    try {
      const { collection } = await loadAndReport(context, now)
      const next = await previewNewPosts({ ledger: services.ledger, live: livePosts(collection.posts, now), announceLatest })
      if (next.posts.length === 0) {
        println(runtime, next.firstActivation ? 'First activation: nothing would be sent (add --announce-latest N to send the newest N posts).' : 'Nothing new: the next run sends nothing.')
        return
      }
      const snapshots = next.posts.map(snapshotPost)
      let recipients = 0
      for await (const batch of services.subscribers.streamActive({ batchSize: 1000 })) {
        recipients += batch.filter((subscriber) => postsForSubscriber(snapshots, subscriber.tags).length > 0).length
      }
      const composer = await services.composer()
      const digest = await composer.compile(snapshots)
      const message = composer.personalise(digest, { subscriberId: '0'.repeat(32), email: 'preview@example.invalid' }, 'preview')
      const file = path.resolve(runtime.cwd, options.out ?? path.join(stateDir(context.config.siteDir), 'preview.html'))
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, message.html)
      println(runtime, `Subject: ${digest.subject}`)
      println(runtime, `Posts (${snapshots.length}):`)
      for (const post of next.posts) println(runtime, `  ${post.date.iso}  ${post.title}  ${post.permalink}`)
      println(runtime, `Recipients: ${recipients} active subscriber(s) whose tags match`)
      println(runtime, `HTML: ${file}`)
      if (options.open) openInBrowser(file)
    } finally {
      await services.close()
    }
  })
}

function openInBrowser(file: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  spawn(command, [file], { stdio: 'ignore', detached: true }).on('error', () => {}).unref()
}
