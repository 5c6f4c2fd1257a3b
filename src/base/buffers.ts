// Large buffers used again instead of freshly allocated (zstor's segments and shard values, the
// zdb server's carries for values that span socket reads): every fresh multi-MiB buffer costs
// page faults and V8's finalization work for its backing store (weak callbacks and incremental
// marking took ~1 s of a 512 MiB store's ~9 s here). Only whole, unshared buffers of the exact
// size are handed back, by their last user.
export class BufferRecycler {
  private readonly free = new Map<number, Buffer[]>();
  private readonly keptPerSizeMax: number;

  /** Keeps at most `keptPerSizeMax` idle buffers of each size (about what is in flight at once). */
  constructor(keptPerSizeMax: number) {
    this.keptPerSizeMax = keptPerSizeMax;
  }

  /** A buffer of `bytes` bytes with arbitrary contents (as Buffer.allocUnsafe). */
  take(bytes: number): Buffer {
    return this.free.get(bytes)?.pop() ?? Buffer.allocUnsafe(bytes);
  }

  /** `buffer` is no longer read or written by anyone (sockets included) and may be handed out again. */
  give(buffer: Buffer): void {
    if (buffer.byteOffset !== 0 || buffer.length !== buffer.buffer.byteLength) return; // a view: its owner decides
    let list = this.free.get(buffer.length);
    if (list === undefined) this.free.set(buffer.length, (list = []));
    if (list.length < this.keptPerSizeMax) list.push(buffer);
  }
}
