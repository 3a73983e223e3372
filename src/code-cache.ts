// V8's code cache for the init's bundle, made after start-up has run. Node's own compile
// cache (module.enableCompileCache, Node 22.1+) stores what V8 compiles when it first reads
// a file: the top level, not the functions compiled later when they first run, and those
// were most of what start-up still compiled. vm.Script's createCachedData, called once
// start-up is over, holds every function compiled by then, and works on Node 20 too.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';

/**
 * What became of the cache: read and used (`accepted`), read and refused by V8 (`rejected`:
 * made by another V8 or with other V8 flags, truncated, not a cache at all), not there
 * (`missing`), or not asked for (`off`, no folder to keep it in).
 */
export type CodeCacheState = 'accepted' | 'rejected' | 'missing' | 'off';

/** The CommonJS wrapper Node's loader puts around a module, so that the bundle runs as it would under require. */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_END = '\n})';

type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

/**
 * `source`, a CommonJS module, compiled from the cache in `cacheFile` when V8 accepts it.
 * V8 checks the cache against its own version and flags and the source's length; that it
 * belongs to this very source is the file name's job (see start.ts).
 */
export class CodeCachedModule {
  readonly state: CodeCacheState;
  private readonly script: Script;
  private saved = false;

  constructor(source: string, readonly filename: string, readonly cacheFile: string | undefined) {
    const cachedData = cacheFile === undefined ? undefined : readIfThere(cacheFile);
    this.script = new Script(WRAPPER_START + source + WRAPPER_END, { filename, cachedData });
    if (cacheFile === undefined) this.state = 'off';
    else if (cachedData === undefined) this.state = 'missing';
    else this.state = this.script.cachedDataRejected === true ? 'rejected' : 'accepted';
  }

  /** Runs the module's top level, as require would. */
  run(require: NodeJS.Require, module: NodeJS.Module, dirname: string): void {
    (this.script.runInThisContext() as ModuleWrapper).call(module.exports, module.exports, require, module, this.filename, dirname);
  }

  /** Whether `save` would write: there is a place for the cache and none was used. */
  get wantsSaving(): boolean {
    return this.state === 'missing' || this.state === 'rejected';
  }

  /**
   * Writes the cache, with every function compiled so far, once, and only if it was missing
   * or rejected: a start that used the cache writes nothing. Through a temporary file and a
   * rename, so that another init reading it at the same moment sees the old file or the new
   * one, never half of one. Never throws: a full disk or a read-only folder only means the
   * next start compiles again. Returns whether it wrote.
   */
  save(): boolean {
    if (this.saved || !this.wantsSaving || this.cacheFile === undefined) return false;
    this.saved = true;
    const temporary = `${this.cacheFile}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(temporary, this.script.createCachedData(), { flag: 'wx', mode: 0o600 });
      renameSync(temporary, this.cacheFile);
      return true;
    } catch {
      try {
        unlinkSync(temporary);
      } catch {
        // never created
      }
      return false;
    }
  }
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined; // not there yet, or unreadable: compiled from source, and written anew
  }
}
