#!/usr/bin/env node
// The `herald` command line's entry point (every command, not only `herald worker`): it parses argv and calls src/cli/.
import { main } from './src/cli/main.js'

const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interactive: Boolean(process.stderr.isTTY),
})
process.exitCode = exitCode
