/**
 * Someone watching the admin port, for bench/ab.ts admin: `scrape` asks for
 * URL once a second (as Prometheus would), `flood` runs four keep-alive
 * loops that ask again the moment each answer is in. It prints `ready` once
 * it listens for SIGTERM; on SIGTERM it prints the answers (status 200) and
 * the failures, `ANSWERED FAILED`, and exits.
 *
 *   node --import tsx bench/ab/watch.ts URL scrape|flood
 */
import { Agent, get } from 'node:http';

const [url, how] = process.argv.slice(2);
const FLOOD_LOOPS = 4;
const SCRAPE_EVERY_MS = 1000;
const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_LOOPS });
let answered = 0;
let failed = 0;
let stopping = false;

/** One request; then the next, at once (flood) or a second later (scrape). */
function ask(): void {
  if (stopping) return;
  get(url, { agent }, function onResponse(res) {
    res.resume();
    res.on('end', function onEnd() {
      if (res.statusCode === 200) answered++;
      else failed++;
      next();
    });
  }).on('error', function onError() {
    failed++;
    if (!stopping) setTimeout(ask, 10);
  });
}

function next(): void {
  if (how === 'flood') ask();
  else setTimeout(ask, SCRAPE_EVERY_MS);
}

if (how === 'flood') for (let i = 0; i < FLOOD_LOOPS; i++) ask();
else if (how === 'scrape') setTimeout(ask, SCRAPE_EVERY_MS);
else throw new Error(`bench/ab/watch.ts: scrape or flood, not '${how}'`);

process.on('SIGTERM', function onTerm() {
  stopping = true;
  process.stdout.write(`${answered} ${failed}\n`, () => process.exit(0));
});
process.stdout.write('ready\n');
