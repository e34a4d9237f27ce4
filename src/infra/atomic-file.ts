import { randomBytes } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import writeFileAtomic from 'write-file-atomic'

/** Options for {@link writeFileAtomically}. */
export interface AtomicWriteOptions {
  /** File mode of a new file. Default 0o644 less the umask. */
  readonly mode?: number
  /** Flush to disk before the rename (for data that must survive a power cut, e.g. outgoing mail). Default false. */
  readonly fsync?: boolean
}

/**
 * Writes a whole file so that a reader sees the old bytes or the new ones, never half (a temporary file in the same
 * folder, then a rename), creating the folder when missing. The one way Herald replaces a file.
 */
export async function writeFileAtomically(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFileAtomic(file, typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    fsync: options.fsync ?? false,
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
  })
}

/** A file being written as a stream: `commit` puts it in place, `abort` throws it away. */
export interface AtomicWriteStream {
  readonly stream: WriteStream
  commit(): Promise<void>
  abort(): Promise<void>
}

/** {@link writeFileAtomically} for output too large to hold in memory (e.g. a subscriber export). */
export async function atomicWriteStream(file: string, options: { mode?: number } = {}): Promise<AtomicWriteStream> {
  await mkdir(path.dirname(file), { recursive: true })
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  const stream = createWriteStream(temporary, { mode: options.mode ?? 0o644 })
  return {
    stream,
    async commit() {
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject)
        stream.end(() => resolve())
      })
      await rename(temporary, file)
    },
    async abort() {
      stream.destroy()
      await rm(temporary, { force: true })
    },
  }
}
