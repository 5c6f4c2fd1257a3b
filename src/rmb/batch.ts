// Write batching: a stream corked for the rest of the current event-loop turn, so the WebSocket
// frames sent meanwhile (a relay routing every frame of one read, a peer answering several
// requests) leave in one writev instead of one system call each. Frames and their order are
// unchanged; they are only held until the turn's callbacks, microtasks and ticks have run.
import type { Duplex } from 'node:stream';

export class WriteBatch {
  readonly #stream: Duplex;
  #corked = false;
  readonly #release = (): void => {
    this.#corked = false;
    this.#stream.uncork();
  };

  constructor(stream: Duplex) {
    this.#stream = stream;
  }

  /** Call before each send: the first one in a turn corks the stream until the turn ends. */
  hold(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#stream.cork();
    process.nextTick(this.#release);
  }
}
