import { randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { HeraldError } from '../errors.js'
import type { Logger } from '../log.js'

/** Shortest `HERALD_SECRET` accepted, in bytes. */
export const MIN_SECRET_BYTES = 32
const HOW_TO_MAKE_ONE = 'make one with "openssl rand -base64 48" and set HERALD_SECRET to it'

/** Options for {@link resolveSecret}. */
export interface SecretOptions {
  /** `HERALD_SECRET` (config.env.secret); null when unset. */
  readonly envSecret: string | null
  /** Herald's state folder of the site (`<site>/.herald`), where a generated secret is kept. */
  readonly stateDir: string
  readonly logger: Logger
}

/**
 * The secret that signs confirmation and unsubscribe links: `HERALD_SECRET` when set (refused when
 * shorter than 32 bytes), else the one kept in `<site>/.herald/secret`, generated (48 random bytes,
 * base64, mode 0600) on first use with a warning, so a first run on a fresh machine needs no set-up.
 */
export async function resolveSecret(options: SecretOptions): Promise<string> {
  if (options.envSecret !== null) {
    checkLength(options.envSecret, 'HERALD_SECRET')
    return options.envSecret
  }
  const file = path.join(options.stateDir, 'secret')
  const existing = await readSecretFile(file)
  if (existing !== null) {
    checkLength(existing, file)
    options.logger.debug({ file }, 'using the link-signing secret kept in the site folder')
    return existing
  }
  const secret = randomBytes(48).toString('base64')
  await mkdir(options.stateDir, { recursive: true })
  try {
    // "wx": two processes starting at once must not each write (and use) a different secret.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const winner = await readSecretFile(file)
    if (winner === null) throw error
    checkLength(winner, file)
    return winner
  }
  options.logger.warn(
    { file },
    `HERALD_SECRET is not set: generated a secret and kept it in ${file}. ` +
      'Every process that serves or sends links for this site must use the same secret: ' +
      'set HERALD_SECRET (make one with "openssl rand -base64 48") when running on more than one machine',
  )
  return secret
}

async function readSecretFile(file: string): Promise<string | null> {
  try {
    const info = await stat(file)
    if (!info.isFile()) throw new HeraldError('SECRET_INVALID', 'expected a file holding the secret', { file })
    return (await readFile(file, 'utf8')).trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function checkLength(secret: string, where: string): void {
  const bytes = Buffer.byteLength(secret, 'utf8')
  if (bytes < MIN_SECRET_BYTES) {
    throw new HeraldError(
      'SECRET_INVALID',
      `the secret is ${bytes} bytes long; at least ${MIN_SECRET_BYTES} are needed: ${HOW_TO_MAKE_ONE}`,
      { field: where },
    )
  }
}
