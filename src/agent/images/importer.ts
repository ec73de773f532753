/**
 * Imports the airgap image tarballs (<data-dir>/agent/images/*.tar, OCI layout or
 * docker-archive) into containerd's k8s.io namespace with `ctr images import`, at start and
 * whenever a tarball is added or replaced. A file is imported once per (size, mtime).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logger } from '../../log/index.js';

const log = logger('images');
const run = promisify(execFile);

export class ImageImporter {
  readonly #seen = new Map<string, string>();
  #watcher: FSWatcher | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly socket: string,
    private readonly ctr = 'ctr',
  ) {}

  /** Imports what is in the dir now; resolves when done. Then follows the dir until `signal`. */
  async start(signal: AbortSignal): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.scan();
    this.#watcher = watch(this.dir, () => {
      this.#queue = this.#queue.then(() => this.scan()).catch((err: unknown) => log.warn({ err }, 'importing images failed'));
    });
    signal.addEventListener('abort', () => this.#watcher?.close(), { once: true });
  }

  /** Imports new or changed *.tar files. */
  async scan(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.tar')).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      let stamp: string;
      try {
        const st = statSync(path);
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch {
        continue;
      }
      if (this.#seen.get(path) === stamp) continue;
      await this.importFile(path);
      this.#seen.set(path, stamp);
    }
  }

  async importFile(path: string): Promise<void> {
    const started = Date.now();
    try {
      const { stdout } = await run(this.ctr, ['--address', this.socket, '--namespace', 'k8s.io', 'images', 'import', path], { timeout: 300_000 });
      log.info({ file: path, ms: Date.now() - started, images: stdout.split('\n').filter((l) => l.startsWith('unpacking')).length || undefined }, 'imported image tarball');
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      log.error({ file: path, error: stderr }, 'importing the image tarball failed (is it an OCI layout or docker-archive tar?)');
    }
  }
}
