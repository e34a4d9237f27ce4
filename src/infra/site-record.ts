import type { Redis } from 'ioredis'
import { HeraldError } from '../errors.js'
import type { SiteKeys } from './keys.js'
import { loadLuaScript, reply, runLua } from './scripts.js'

/**
 * The version of the data layout this Herald writes. 1: before site records (no `{p}:site`); 2: subscriber ids from
 * the ASCII form of the domain (IDNA), see subscribers/migrate.ts.
 */
export const DATA_SCHEMA = 2

const CLAIM = loadLuaScript(new URL('./lua/claim-site.lua', import.meta.url), (value) => {
  const [outcome, url, schema] = reply.strings(value)
  return { outcome: reply.oneOf('claimed', 'adopted', 'same', 'other')(outcome), url: url ?? '', schema: Number(schema) }
})

/** What {@link claimSite} found. */
export interface SiteRecord {
  /** The data's schema version before this process: lower than {@link DATA_SCHEMA} means migrations are due. */
  readonly schema: number
  /** This call recorded the site (a new prefix, or data from a Herald that kept no site record). */
  readonly recorded: boolean
}

/**
 * Makes sure the data under this prefix belongs to this site. The first process on an empty prefix records the site's
 * URL; data written before site records existed is adopted by the first site that opens it; a different site is
 * refused, so two blogs on one Redis never share subscribers or ledgers by accident.
 */
export async function claimSite(redis: Redis, keys: SiteKeys, siteUrl: string, prefixName: string): Promise<SiteRecord> {
  const result = await runLua(
    redis,
    CLAIM,
    [keys.site(), keys.ledgerInitialised(), keys.subscribersInStatus('active'), keys.subscribersInStatus('pending'), keys.editions()],
    [siteUrl, String(DATA_SCHEMA), new Date().toISOString()],
  )
  if (result.outcome === 'other') {
    throw new HeraldError(
      'SITE_CONFLICT',
      `the Redis prefix "${prefixName}" holds the subscribers and ledgers of ${result.url}, not of ${siteUrl}. ` +
        `Give this site a prefix of its own: set HERALD_PREFIX (e.g. HERALD_PREFIX=${suggestedPrefix(siteUrl)}) for every Herald ` +
        'process of this site. (If this is the same site under a new URL, see docs/deployment.md, "Changing site.url".)',
      { field: 'HERALD_PREFIX' },
    )
  }
  return { schema: result.schema, recorded: result.outcome !== 'same' }
}

/** Records that the data now has the current layout. */
export async function recordSchema(redis: Redis, keys: SiteKeys): Promise<void> {
  await redis.hset(keys.site(), 'schema', String(DATA_SCHEMA))
}

function suggestedPrefix(siteUrl: string): string {
  return `herald-${new URL(siteUrl).hostname.replace(/[^A-Za-z0-9.-]/g, '-')}`
}
