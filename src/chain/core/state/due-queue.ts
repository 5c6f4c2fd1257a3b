// Ids waiting for a due time (contracts to bill, nodes to flag down), bucketed by 1-second slot
// so that a block touches only the slots that came due, never every contract. The queue is a
// hint derived from the state: callers check each popped id against the entity's own due time,
// so stale or duplicate entries (left by undone transactions) change nothing but work.
export const dueSlotMs = 1000;

export class DueQueue {
  readonly #slots = new Map<number, number[]>();
  /** Lowest slot that may still hold ids: the slot of the last pop's time. */
  #cursor: number;
  #length = 0;

  constructor(nowMs: number) {
    this.#cursor = Math.floor(nowMs / dueSlotMs);
  }

  get length(): number {
    return this.#length;
  }

  push(dueMs: number, id: number): void {
    const slot = Math.max(Math.floor(dueMs / dueSlotMs), this.#cursor);
    const ids = this.#slots.get(slot);
    if (ids === undefined) this.#slots.set(slot, [id]);
    else ids.push(id);
    this.#length++;
  }

  /**
   * Removes and returns the ids of every slot up to and including `nowMs`'s, possibly some not
   * due yet (same slot, later ms) or stale; the caller re-pushes those still waiting.
   */
  popUpTo(nowMs: number): number[] {
    const last = Math.floor(nowMs / dueSlotMs);
    const out: number[] = [];
    const take = (slot: number): void => {
      const ids = this.#slots.get(slot);
      if (ids === undefined) return;
      this.#slots.delete(slot);
      this.#length -= ids.length;
      for (const id of ids) out.push(id);
    };
    if (last - this.#cursor + 1 > this.#slots.size) {
      // A long gap between blocks: walking the occupied slots is cheaper than every slot.
      for (const slot of [...this.#slots.keys()]) if (slot <= last) take(slot);
    } else {
      for (let slot = this.#cursor; slot <= last; slot++) take(slot);
    }
    this.#cursor = Math.max(this.#cursor, last);
    return out;
  }
}
