// A sockperf reflector on bare accepted handles: no net.Socket, one shared
// read buffer, one reused write request, replies written from the read
// buffer itself. Not a product: no framing across reads, no backpressure, no
// hardening. It exists to measure what is left of Node's cost when nothing
// of net.Socket or of this project runs (bench/bare-handles.sh).
'use strict';
const net = require('node:net');
const { WriteWrap, streamBaseState, kReadBytesOrError } = process.binding('stream_wrap');
const input = Buffer.alloc(65536);
const views = [];
const req = new WriteWrap();
req.oncomplete = () => {};
function onread() {
  const n = streamBaseState[kReadBytesOrError];
  if (n < 0) return void this.close();
  // One 64 B ping-pong message per read: answer it when sockperf asks (CLIENT|PONG, no WARMUP).
  if ((input[9] & 7) !== 3) return;
  input[9] &= ~1;
  if (views[n] === undefined) views[n] = input.subarray(0, n);
  this.writeBuffer(req, views[n]);
}
const server = net.createServer();
server.listen(Number(process.argv[2]), '127.0.0.1', () => {
  server._handle.onconnection = (err, handle) => {
    if (err) return;
    handle.setNoDelay(true);
    handle.onread = onread;
    handle.useUserBuffer(input);
    handle.readStart();
  };
  console.log('ready');
});
