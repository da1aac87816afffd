/**
 * A byte ring of fixed capacity: keeps the newest `capacity` bytes written to it.
 *
 * The console keeps one per session so a reconnecting terminal can repaint recent output, and
 * so output nobody reads (a `yes` with the browser gone) costs a constant amount of memory.
 * Pure: Uint8Array only.
 */
export class ByteRing {
  private readonly buf: Uint8Array;
  private start = 0;
  private size = 0;
  /** Total bytes ever written, including those overwritten. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive integer');
    this.buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  write(chunk: Uint8Array): void {
    this.total += chunk.length;
    let data = chunk;
    if (data.length >= this.capacity) {
      data = data.subarray(data.length - this.capacity);
      this.buf.set(data, 0);
      this.start = 0;
      this.size = this.capacity;
      return;
    }
    const end = (this.start + this.size) % this.capacity;
    const first = Math.min(data.length, this.capacity - end);
    this.buf.set(data.subarray(0, first), end);
    this.buf.set(data.subarray(first), 0);
    const overflow = Math.max(0, this.size + data.length - this.capacity);
    this.size = Math.min(this.capacity, this.size + data.length);
    this.start = (this.start + overflow) % this.capacity;
  }

  /** A copy of the held bytes, oldest first. */
  contents(): Uint8Array {
    const out = new Uint8Array(this.size);
    const first = Math.min(this.size, this.capacity - this.start);
    out.set(this.buf.subarray(this.start, this.start + first), 0);
    out.set(this.buf.subarray(0, this.size - first), first);
    return out;
  }

  clear(): void {
    this.start = 0;
    this.size = 0;
  }
}
