import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * Starts a worker thread running a module of ours. The compiled JavaScript (dist/) starts as it is; the TypeScript
 * sources (tests, `npm run herald`) run through tsx, and a new thread does not inherit loader hooks registered at run
 * time, so such a thread registers tsx before importing.
 */
export function startModuleWorker(moduleUrl: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options)
  const bootstrap =
    `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}
