#!/usr/bin/env node
// The `herald` command line's entry point (every command, not only `herald worker`): it parses argv and calls src/cli/.
import { setFlagsFromString } from 'node:v8'
import { main } from './src/cli/main.js'

// Processes that send grow their heap by at most 25% over what survives a collection. V8's default lets a heap with
// 60 MB alive reach 150 MB before collecting, which made a sending worker's memory look like it grew with the list;
// with this it stays under 200 MB at no measured cost in throughput (docs/benchmarks.md, "Memory").
if (['run', 'worker', 'serve', 'editions'].includes(process.argv[2] ?? '')) setFlagsFromString('--heap-growing-percent=25')

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
