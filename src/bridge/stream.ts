/**
 * The Node end of a streaming call. Credit-based backpressure: Python may run at most
 * `window` chunks ahead of what the consumer has taken, and its generator is not resumed
 * until credit comes back, so a slow consumer pauses the producer. Leaving the loop early
 * cancels the Python side.
 */
export interface StreamHooks {
  start(): void;
  credit(n: number): void;
  cancel(): void;
}

export class ChunkStream<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private error: Error | undefined;
  private started = false;
  private closed = false;
  private consumedSinceGrant = 0;

  constructor(
    private readonly window: number,
    private readonly hooks: StreamHooks,
  ) {}

  [Symbol.asyncIterator](): this {
    if (!this.started) {
      this.started = true;
      this.hooks.start();
    }
    return this;
  }

  /** Chunks received and not yet consumed (never more than the window). */
  get buffered(): number {
    return this.buffer.length;
  }

  push(value: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      this.consumed();
      w.resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  end(): void {
    this.ended = true;
    this.flushWaiter();
  }

  fail(error: Error): void {
    if (this.ended || this.error) return;
    this.error = error;
    this.flushWaiter();
  }

  next(): Promise<IteratorResult<T>> {
    this[Symbol.asyncIterator]();
    if (this.buffer.length > 0) {
      const value = this.buffer.shift() as T;
      this.consumed();
      return Promise.resolve({ value, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended || this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.buffer.length = 0;
      if (this.started && !this.ended && !this.error) this.hooks.cancel();
      this.flushWaiter();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  private consumed(): void {
    // Grant credit in batches of half a window: fewer messages, same bound.
    this.consumedSinceGrant++;
    if (this.consumedSinceGrant >= Math.max(1, Math.floor(this.window / 2)) && !this.ended && !this.closed) {
      this.hooks.credit(this.consumedSinceGrant);
      this.consumedSinceGrant = 0;
    }
  }

  private flushWaiter(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (this.error && !this.closed) w.reject(this.error);
    else w.resolve({ value: undefined, done: true });
  }
}
