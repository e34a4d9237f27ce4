#!/usr/bin/env node
// Installed `herald` command: registers tsx's loader in this process and runs the TypeScript entry point,
// so signals reach Herald directly (no wrapper process in between).
import { register } from 'tsx/esm/api'

register()
await import('../worker.ts')
