import { Worker } from 'node:worker_threads';

/**
 * Run `source` as CommonJS in a worker thread and resolve with the first message it posts. A
 * worker inherits the process's Node options, and one started with `--input-type=module -e` (a
 * script, a build step) would evaluate the source as an ES module, where `require` is undefined:
 * that option is left out. With `unref`, the worker does not keep the process alive by itself.
 */
export function commonJsWorker<T>(
  source: string,
  workerData: unknown,
  what: string,
  options: { unref?: boolean } = {},
): Promise<T> {
  const execArgv = process.execArgv.filter(
    (arg, i, all) => !arg.startsWith('--input-type') && all[i - 1] !== '--input-type',
  );
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(source, { eval: true, execArgv, workerData });
    if (options.unref) worker.unref();
    worker.once('message', (result: T) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${what} worker exited with ${code}`)));
  });
}
