/** A subscriber's queue may not grow past this: a client that stops reading is cut off, not buffered forever. */
const MAX_QUEUED = 10_000;

/**
 * One subscriber's stream of events: what `match` keeps of each offered event, queued
 * until the subscriber reads it. Ends when the subscriber leaves (or falls too far behind).
 */
export class Subscription<E> implements AsyncIterableIterator<E> {
  private readonly queue: E[] = [];
  private waiting?: (result: IteratorResult<E>) => void;
  private done = false;

  constructor(
    private readonly match: (event: E) => E | undefined,
    private readonly onEnd: () => void,
  ) {}

  offer(event: E): void {
    const matching = this.match(event);
    if (!matching || this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: matching, done: false });
    } else if (this.queue.length < MAX_QUEUED) {
      this.queue.push(matching);
    } else {
      void this.return();
    }
  }

  next(): Promise<IteratorResult<E>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<E>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.onEnd();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this;
  }
}
