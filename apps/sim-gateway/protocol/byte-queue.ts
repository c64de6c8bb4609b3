/**
 * FIFO of received bytes kept as the chunks TCP delivered. Taking n bytes copies each byte at
 * most once, so a 16 MiB frame trickling in one byte per chunk costs O(n), not O(n^2) as
 * `Buffer.concat` on every push would.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first unconsumed chunk (an index, not `shift()`, which is O(n) per call). */
  private headIndex = 0;
  /** Bytes of `chunks[headIndex]` already consumed. */
  private headOffset = 0;
  private byteCount = 0;

  get length(): number {
    return this.byteCount;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.byteCount += chunk.length;
  }

  /** The first `count` bytes without consuming them; the caller checks `length` first. */
  peek(count: number): Buffer {
    return this.copyOut(count, false);
  }

  /** Removes and returns the first `count` bytes; the caller checks `length` first. */
  take(count: number): Buffer {
    return this.copyOut(count, true);
  }

  clear(): void {
    this.chunks = [];
    this.headIndex = 0;
    this.headOffset = 0;
    this.byteCount = 0;
  }

  private copyOut(count: number, consume: boolean): Buffer {
    if (count > this.byteCount) {
      throw new RangeError(`ByteQueue: asked for ${count} bytes, holds ${this.byteCount}`);
    }
    const head = this.chunks[this.headIndex];
    if (head !== undefined && head.length - this.headOffset >= count) {
      const slice = head.subarray(this.headOffset, this.headOffset + count);
      if (consume) this.advance(count);
      return slice;
    }
    const out = Buffer.allocUnsafe(count);
    let written = 0;
    let chunkIndex = this.headIndex;
    let offset = this.headOffset;
    while (written < count) {
      const chunk = this.chunks[chunkIndex] as Buffer;
      const copied = chunk.copy(out, written, offset, Math.min(chunk.length, offset + count - written));
      written += copied;
      chunkIndex += 1;
      offset = 0;
    }
    if (consume) this.advance(count);
    return out;
  }

  private advance(count: number): void {
    this.byteCount -= count;
    let remaining = count;
    while (remaining > 0) {
      const head = this.chunks[this.headIndex] as Buffer;
      const available = head.length - this.headOffset;
      if (available > remaining) {
        this.headOffset += remaining;
        break;
      }
      remaining -= available;
      this.headIndex += 1;
      this.headOffset = 0;
    }
    if (this.byteCount === 0) {
      this.clear();
      return;
    }
    // Drop consumed chunks once they are the majority, so memory is released in O(1) amortised.
    if (this.headIndex > 64 && this.headIndex * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.headIndex);
      this.headIndex = 0;
    }
  }
}
