// bench/admin-cost.sh's flood: CONCURRENCY loops (4 by default) requesting
// URL again as soon as each answer is in, over keep-alive connections, until
// SIGTERM; then prints the answers counted and the non-200 ones.
//   node bench/admin-flood.cjs URL [CONCURRENCY]
'use strict';
const http = require('node:http');
const url = process.argv[2];
const concurrency = Number(process.argv[3] ?? 4);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let answered = 0;
let failed = 0;
let stopping = false;
function loop() {
  if (stopping) return;
  http
    .get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) answered++;
        else failed++;
        loop();
      });
    })
    .on('error', () => {
      failed++;
      if (!stopping) setTimeout(loop, 10);
    });
}
for (let i = 0; i < concurrency; i++) loop();
process.on('SIGTERM', () => {
  stopping = true;
  console.log(`${answered} ${failed}`);
  process.exit(0);
});
