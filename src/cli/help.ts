// What `herald --help` lists about each command, kept apart from the commands themselves: listing them must not load
// them (they load MJML, BullMQ, Fastify: over a second). The commands take their descriptions from here, and
// test/cli/commands.test.ts checks that the listing is the same as with every command loaded.

/** Each command's line in `herald --help`: its term (name, `[options]`, arguments) and its description. */
export const COMMAND_HELP = {
  posts: {
    term: 'posts [options]',
    description: 'List every post with its status (live, scheduled, draft, private, error), date, tags and problems.',
  },
  build: {
    term: 'build [options]',
    description: 'Write the Atom, RSS and JSON feeds (site, tags, categories) for the posts live now. Only changed files are rewritten.',
  },
  run: {
    term: 'run [options]',
    description:
      'What cron calls: build the feeds, find the posts no subscriber has been told about, make them an edition, queue it, and ' +
      'send it (unless --no-wait) before exiting. Exit 0 all sent, 1 other errors, 2 configuration (no mail transport, SMTP ' +
      'refused the login), 3 some posts skipped for errors, 4 some recipients failed permanently, 5 an edition is paused ' +
      '(systemic mail failure), 6 retries still pending after email.run_wait_s.',
  },
  worker: {
    term: 'worker [options]',
    description:
      'Long-running worker: sends queued editions (start several, on several machines, against one Redis). ' +
      'With "schedule:" in herald.yml it also runs the publish cycle on that cron pattern. Stops cleanly on SIGTERM/SIGINT.',
  },
  preview: {
    term: 'preview [options]',
    description:
      'Render the next digest (what `herald run` would send) to an HTML file and print its subject, posts and recipient count. ' +
      'Sends nothing, changes nothing.',
  },
  status: {
    term: 'status [options]',
    description: 'Show the last editions (posts, sent, failed, pending), the next scheduled post, queue counts and subscribers by status.',
  },
  editions: {
    term: 'editions',
    description: 'List and inspect editions; resume a paused one; resend the failed sends of one.',
  },
  subscribers: {
    term: 'subscribers',
    description: 'Add, remove, list, count, import and export email subscribers.',
  },
  bounces: {
    term: 'bounces',
    description: 'Learn from returned mail: read bounces and complaints; review held floods.',
  },
  serve: {
    term: 'serve [options]',
    description:
      'Run the web service: subscribe, confirm and unsubscribe pages, the feeds, /healthz, /metrics and the bounce webhooks; ' +
      'with --smtp-port, also an SMTP listener for returned mail.',
  },
  doctor: {
    term: 'doctor [options]',
    description:
      'Check what sending needs: Redis, the mail server (connect, TLS, login), the secret, the public URL (https), DKIM key and DNS. ' +
      'Prints what is wrong and how to fix it; exit 1 when something fails.',
  },
  init: {
    term: 'init [options] [dir]',
    description:
      'Start a new site in DIR (default: the current folder): herald.yml with every setting and its default, ' +
      'an example post, and the email templates to edit.',
  },
} as const satisfies Record<string, { readonly term: string; readonly description: string }>
