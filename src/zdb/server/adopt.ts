// Accepted sockets that read into one buffer shared by every connection.
//
// Node allocates a fresh 64 KiB ArrayBuffer for every socket read. Under a stream of large
// values that garbage (with a fresh buffer per assembled value) forced a full mark-compact every
// ~14 MiB received, and the server spent ~3× the CPU per MiB that it does now. A socket can read into a reusable buffer instead (`onread`), but
// net.Server takes no such option, so the accepted socket's handle is moved into a new Socket
// made with one, as Node's own connection handler makes the first. A single buffer serves all
// connections because each read is parsed, and its unparsed tail copied out, before the next.
import { Socket, type SocketConstructorOpts } from 'node:net';
import { assert } from '../../base/index.ts';

/** Read size: Node's own, so one read takes what the kernel has queued for a busy client. */
const READ_BYTES = 64 * 1024;
const sharedReadBuffer = Buffer.allocUnsafe(READ_BYTES);

interface HandleHolder {
  _handle: object | null;
}

/**
 * Takes over a socket accepted with `pauseOnConnect` (it must not have read yet): returns a
 * socket on the same connection whose reads are handed to `onRead` as views of the shared
 * buffer, valid only during the call. The server no longer counts the connection: its owner
 * closes it.
 */
export function adoptWithSharedReadBuffer(accepted: Socket, onRead: (chunk: Buffer) => void): Socket {
  const holder = accepted as unknown as HandleHolder;
  const handle = holder._handle;
  assert(handle !== null && typeof handle === 'object', 'an accepted socket has its handle');
  holder._handle = null;
  accepted.destroy(); // no handle left to close: this only drops it from the server's count
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: sharedReadBuffer,
      callback: (bytes: number): boolean => {
        onRead(sharedReadBuffer.subarray(0, bytes));
        return true; // keep reading (the owner pauses the socket itself)
      },
    },
  };
  return new Socket(options as SocketConstructorOpts);
}
