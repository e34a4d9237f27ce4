#!/usr/bin/env node
// The installed `herald` command. It runs the compiled JavaScript in dist/ (built by `npm run build`, which `npm ci`
// runs through `prepare`), so start-up is Node's alone; without a build it registers tsx and runs the TypeScript
// sources. Either way in this process, so signals reach Herald directly (no wrapper process in between).
import { existsSync } from 'node:fs'

const compiled = new URL('../dist/worker.js', import.meta.url)
if (existsSync(compiled)) {
  await import(compiled.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../worker.ts')
}
