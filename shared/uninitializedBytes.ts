// Memory for bytes that the caller overwrites completely before anything reads them: a relay
// envelope (written in full by its builder) and an incoming image (delivered only once every chunk,
// each of its exact size, has been written and the SHA-256 checked). In Node it comes without
// zero-filling: copying 5 MiB into fresh zeroed memory cost 5.2-6.6 ms of CPU here against 4.3-4.6 ms
// unfilled (page faults included), 0.55 against 0.39 ms when the memory is reused
// (`npm run bench:relay-micro`). Browsers have no such allocation: a plain Uint8Array there.
// Always a plain Uint8Array over its own ArrayBuffer (never a Buffer, whose slice() is a view).

type UnsafeAllocator = { allocUnsafeSlow(size: number): { buffer: ArrayBuffer } };
const NodeBuffer = (globalThis as { Buffer?: UnsafeAllocator }).Buffer;

/** `size` bytes of unspecified content: every one must be written before it is read or sent. */
export function uninitializedBytes(size: number): Uint8Array {
  return NodeBuffer && size > 0 ? new Uint8Array(NodeBuffer.allocUnsafeSlow(size).buffer, 0, size) : new Uint8Array(size);
}
