/**
 * A bound UDP socket that hands each datagram to its owner and sends
 * replies to a datagram's sender, on either I/O path (binding.ts decides,
 * for the whole process, as for TCP):
 *
 * - 'handles': the bare UDP handle under `dgram` (`udp_wrap`), its
 *   `onmessage` replaced by one named function, replies through the
 *   handle's own `send` with one reused send request.
 * - 'sockets': Node's `dgram.Socket`, 'message' events and `socket.send`.
 *
 * Either way `dgram` binds the socket (the address, SO_REUSEPORT, a cluster
 * worker's shared handle, errors as Node words them); the bare path then
 * takes its handle, as handles.ts takes a TCP listener's `onconnection`.
 *
 * What each datagram allocates on the JavaScript heap (Node 20, 22 and 24;
 * src/udp_wrap.cc and lib/dgram.js):
 *
 *   receive, both paths   UDPWrap::OnRecv: an ArrayBuffer over a backing
 *                         store of the datagram's size (Node's 64 KiB
 *                         receive buffer, reallocated or copied to nread),
 *                         a Buffer over it, and the rinfo object of
 *                         AddressToJS (address string, family, port).
 *                         Nothing from JavaScript can avoid these three:
 *                         UDP has no useUserBuffer.
 *   receive, 'sockets'    and dgram's onMessage: `rinfo.size` added, an
 *                         emit('message') with its argument handling.
 *   send, 'sockets'       Socket.prototype.send: the list array `[buffer]`,
 *                         the `afterDns` closure, a dns.lookup of the
 *                         address (an IP: a process.nextTick and its
 *                         `{}`), then doSend's `new SendWrap()` with four
 *                         properties.
 *   send, 'handles'       nothing: UDPWrap::Send tries uv_udp_try_send
 *                         first and returns msg_size + 1 when the kernel
 *                         took the datagram; only a send it must queue
 *                         binds the request object to a C++ SendWrap
 *                         (CreateSendWrap). So one request and one list
 *                         array are reused while sends complete at once;
 *                         a queued send keeps them (and its buffer, which
 *                         the list holds), and the next send makes new ones.
 *
 * The replies are sent from the received buffer itself (echo, in place) or
 * from constant frames (fixed), so a queued send never sees its bytes
 * change: no output buffer is shared between datagrams.
 */
import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import { isIP } from 'node:net';

/** What a UDP socket reports to its owner. */
export interface DatagramEvents {
  /** A datagram `buf` (exactly its bytes; the owner may change them and send them back) from `from`. */
  onDatagram(buf: Buffer, from: RemoteInfo): void;
  /** A receive or send failed (the socket goes on). */
  onSocketError(): void;
}

export interface DatagramPort {
  /** The path that carries it: 'handles' (the bare handle) or 'sockets' (dgram). */
  readonly io: 'handles' | 'sockets';
  readonly address: string;
  readonly port: number;
  /** Send `data` to `to`; its bytes must not change afterwards (a send may be queued). */
  send(data: Buffer, to: RemoteInfo): void;
  /** Sends handed over and not yet taken by the kernel. */
  queued(): number;
  /** Close the socket (sends still queued are cancelled). */
  close(): Promise<void>;
}

export interface BindOptions {
  host: string;
  port: number;
  /** In a worker of --workers: a socket of its own in the port's SO_REUSEPORT group, or the cluster primary's shared one. */
  share?: 'reuseport' | 'cluster';
}

/** The send request of udp_wrap: a `SendWrap` object, bound to a C++ request only when a send is queued. */
interface SendRequest {
  list: Buffer[];
}

interface UdpBinding {
  SendWrap: new () => SendRequest;
}

/** The bare handle under a dgram socket, as much of it as this file uses. */
interface UdpHandle {
  onmessage: (this: UdpHandle, nread: number, handle: UdpHandle, buf: Buffer | undefined, rinfo: RemoteInfo | undefined) => void;
  send(req: SendRequest, list: Buffer[], count: number, port: number, address: string, hasCallback: boolean): number;
  send6(req: SendRequest, list: Buffer[], count: number, port: number, address: string, hasCallback: boolean): number;
  getSendQueueCount(): number;
  /** Set while a HandlePort owns the handle. */
  port?: HandlePort;
}

/** udp_wrap's SendWrap, looked up once; null where this Node lacks it or refuses `process.binding` (the permission model). */
function lookupBinding(): UdpBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<UdpBinding> }).binding('udp_wrap');
    return typeof b.SendWrap === 'function' ? { SendWrap: b.SendWrap } : null;
  } catch {
    return null;
  }
}

/** dgram keeps its handle under a symbol of its own ('state symbol', lib/internal/dgram.js). */
function handleOf(socket: Socket): UdpHandle | null {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: unknown }>)[key];
  const handle = state?.handle as Partial<UdpHandle> | undefined;
  if (handle === undefined || handle === null) return null;
  if (typeof handle.send !== 'function' || typeof handle.send6 !== 'function' || typeof handle.getSendQueueCount !== 'function') return null;
  return handle as UdpHandle;
}

/**
 * Bind a UDP socket at `options` and report its datagrams to `events`, on
 * the bare handle when `handles` is asked for and this Node has it, else on
 * dgram. Rejects with dgram's error when the address cannot be bound.
 */
export async function bindDatagrams(options: BindOptions, events: DatagramEvents, handles: boolean): Promise<DatagramPort> {
  const ipv6 = isIP(options.host) === 6;
  const socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4', ...(options.share === 'reuseport' ? { reusePort: true } : {}) } as Parameters<typeof createSocket>[0]);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: options.host, port: options.port, exclusive: options.share !== 'cluster' }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => events.onSocketError());
  const binding = handles ? lookupBinding() : null;
  const handle = binding === null ? null : handleOf(socket);
  if (binding !== null && handle !== null) return new HandlePort(socket, handle, binding, ipv6, events);
  return new SocketPort(socket, events);
}

function bound(socket: Socket): { address: string; port: number } {
  const a = socket.address();
  return { address: a.address, port: a.port };
}

/** The bare handle's receive callback; `this` is the handle. */
function onHandleMessage(this: UdpHandle, nread: number, _handle: UdpHandle, buf: Buffer | undefined, rinfo: RemoteInfo | undefined): void {
  const port = this.port!;
  if (nread < 0 || buf === undefined || rinfo === undefined) port.events.onSocketError();
  else port.events.onDatagram(buf, rinfo);
}

class HandlePort implements DatagramPort {
  readonly io = 'handles' as const;
  readonly address: string;
  readonly port: number;
  readonly events: DatagramEvents;
  private readonly socket: Socket;
  private readonly handle: UdpHandle;
  private readonly binding: UdpBinding;
  private readonly ipv6: boolean;
  /** The reused request (its `list` the reused one-buffer array); replaced only when a send is queued with it. */
  private spare: SendRequest;

  constructor(socket: Socket, handle: UdpHandle, binding: UdpBinding, ipv6: boolean, events: DatagramEvents) {
    this.socket = socket;
    this.handle = handle;
    this.binding = binding;
    this.ipv6 = ipv6;
    this.events = events;
    ({ address: this.address, port: this.port } = bound(socket));
    this.spare = this.request();
    handle.port = this;
    handle.onmessage = onHandleMessage;
  }

  private request(): SendRequest {
    const req = new this.binding.SendWrap();
    req.list = [EMPTY];
    return req;
  }

  send(data: Buffer, to: RemoteInfo): void {
    const req = this.spare;
    req.list[0] = data;
    const status = this.ipv6 ? this.handle.send6(req, req.list, 1, to.port, to.address, false) : this.handle.send(req, req.list, 1, to.port, to.address, false);
    // >= 1: the kernel took it (msg_size + 1); 0: queued, the request and its list (holding `data`) are libuv's now.
    if (status === 0) this.spare = this.request();
    else if (status < 0) this.events.onSocketError();
  }

  queued(): number {
    return this.handle.getSendQueueCount();
  }

  close(): Promise<void> {
    return closeSocket(this.socket);
  }
}

const EMPTY = Buffer.alloc(0);
const kPort = Symbol('port');
type TaggedSocket = Socket & { [kPort]: SocketPort };

function onSocketMessage(this: TaggedSocket, buf: Buffer, rinfo: RemoteInfo): void {
  this[kPort].events.onDatagram(buf, rinfo);
}

class SocketPort implements DatagramPort {
  readonly io = 'sockets' as const;
  readonly address: string;
  readonly port: number;
  readonly events: DatagramEvents;
  private readonly socket: Socket;

  constructor(socket: Socket, events: DatagramEvents) {
    this.socket = socket;
    this.events = events;
    ({ address: this.address, port: this.port } = bound(socket));
    (socket as TaggedSocket)[kPort] = this;
    socket.on('message', onSocketMessage);
  }

  send(data: Buffer, to: RemoteInfo): void {
    this.socket.send(data, to.port, to.address);
  }

  queued(): number {
    return this.socket.getSendQueueCount();
  }

  close(): Promise<void> {
    return closeSocket(this.socket);
  }
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
