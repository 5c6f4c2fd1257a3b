// Reusable memory for values read from data files.

/**
 * Buffers for values read from data files (GET, MGET, HISTORY, the SET identical-value check).
 * They are carved from a slab, as Node's Buffer pool does (whose pool only serves < 4 KiB):
 * a fresh ArrayBuffer per 4 KiB GET made V8 run a full mark-compact every few tens of MB read.
 * A served value is a view that may outlive the read, so the slab is only reused after
 * recycle(): the caller's promise that every value handed out so far has been copied (the
 * server shell encodes each reply before the next command). Without recycle() a full slab is
 * replaced, never overwritten.
 */
export class ReadArena {
  static readonly SLAB_BYTES = 256 * 1024;
  /** Larger reads get their own buffer (and are never recycled). */
  static readonly SHARE_BYTES_MAX = 8 * 1024;
  private slab = Buffer.allocUnsafeSlow(ReadArena.SLAB_BYTES);
  private used = 0;

  take(bytes: number): Buffer {
    if (bytes > ReadArena.SHARE_BYTES_MAX) return Buffer.allocUnsafe(bytes);
    if (this.used + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(ReadArena.SLAB_BYTES);
      this.used = 0;
    }
    const buffer = this.slab.subarray(this.used, this.used + bytes);
    this.used += (bytes + 7) & ~7; // 8-byte aligned views
    return buffer;
  }

  recycle(): void {
    this.used = 0;
  }
}
