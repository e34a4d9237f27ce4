#!/usr/bin/env node
import { main } from './src/cli/main.js'

// The entry point only parses the command line; everything else lives in src/cli/.
const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interactive: Boolean(process.stderr.isTTY),
})
process.exitCode = exitCode
