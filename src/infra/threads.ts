import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * Starts a worker thread running a TypeScript module of ours. Herald runs its sources through tsx, and a new
 * thread does not inherit loader hooks registered at run time, so the thread registers tsx before importing.
 */
export function startTypeScriptWorker(moduleUrl: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const bootstrap =
    `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}
