/**
 * Redis key and BullMQ queue naming. Every key of a site starts with `{prefix}`: the braces are a Redis
 * Cluster hash tag, so all of a site's keys (and its BullMQ queues) live in one slot and multi-key
 * scripts work on a cluster too.
 */
export interface KeySpace {
  /** The hash-tagged prefix itself, e.g. `{herald}`. Also BullMQ's `prefix` option. */
  readonly root: string
  /** `{herald}:<parts joined by ":">`. */
  key(...parts: string[]): string
}

/** Builds the key space for a prefix (`HERALD_PREFIX`). A prefix that already has a `{…}` tag is used as is. */
export function keySpace(prefix: string): KeySpace {
  const root = /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`
  return {
    root,
    key: (...parts) => [root, ...parts].join(':'),
  }
}
