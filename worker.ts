#!/usr/bin/env node
// The `herald` command line's entry point (every command, not only `herald worker`): it parses argv and calls src/cli/.
import { main } from './src/cli/main.js'

// `herald status | head -1`: the reader went away; the rest of the output has nowhere to go, which is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
  })
}

const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  interactive: Boolean(process.stderr.isTTY),
  exit: (code) => process.exit(code),
})
process.exitCode = exitCode
