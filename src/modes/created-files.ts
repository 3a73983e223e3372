// What the init made on the file system (its notify directory, the sockets it bound),
// removed on every way out: a normal exit, an exit 2 after some of it was made, an uncaught error.
// One 'exit' listener covers them all, as every path ends in process.exit or a throw.

export class CreatedFiles {
  private readonly removals: Array<() => void> = [];

  constructor() {
    process.once('exit', () => this.removeAll());
  }

  /** `remove` runs at exit (synchronously, as 'exit' listeners must), newest first. */
  add(remove: () => void): void {
    this.removals.push(remove);
  }

  removeAll(): void {
    for (const remove of this.removals.splice(0).reverse()) {
      try {
        remove();
      } catch {
        // one that cannot be removed must not keep the others
      }
    }
  }
}
