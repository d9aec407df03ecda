// End-to-end test of actnet-chat with many real WebSocket clients (the `ws` package).
//
//   node clients.mjs <server url, e.g. http://127.0.0.1:PORT/> [output dir, unused]
//
// Opens CHAT_CLIENTS (200) clients named c0..c199 on /ws?name=cN, waits until every one has
// seen a presence frame whose `online` list holds all of them, then each sends
// CHAT_MESSAGES (50) text frames "cN:mM", all clients at once, and waits until every client
// has received every message. Checks, as the frames arrive and at the end:
//   - each client gets its own join, and no leave before the end (nobody was dropped);
//   - every client sees seq 1, 2, ..., total in that order: no gap, no duplicate;
//   - `from` names the sender of the text, and each sender's messages arrive in the order it
//     sent them, each exactly once (so each client gets each of the total texts once);
//   - all clients see the identical sequence (seq n is the same text for everyone);
//   - each client's close (code 1000) is answered with a close frame carrying 1000.
// Prints one summary line and exits 0, or prints the first difference and exits 1. A hard
// timeout (CHAT_TIMEOUT_MS, 60 s) exits 1 with what each phase had reached.
import { WebSocket } from 'ws';

const CLIENTS = Number(process.env.CHAT_CLIENTS ?? 200);
const MESSAGES = Number(process.env.CHAT_MESSAGES ?? 50);
const TIMEOUT_MS = Number(process.env.CHAT_TIMEOUT_MS ?? 60000);
const TOTAL = CLIENTS * MESSAGES;

const started = performance.now();
const elapsed = () => Math.round(performance.now() - started);
let phase = 'connect';
let clients = [];

function finish(code, line) {
  (code === 0 ? console.log : console.error)(`clients.mjs: ${line}`);
  for (const c of clients) c.ws?.terminate();
  process.exit(code);
}

function fail(line) {
  finish(1, `FAIL (${phase} phase, ${elapsed()} ms): ${line}`);
}

function progress() {
  const ready = clients.filter((c) => c.ready).length;
  const counts = clients.map((c) => c.count);
  const lagging = clients.filter((c) => c.count < TOTAL).slice(0, 5)
    .map((c) => `${c.name} has ${c.count}`).join(', ');
  return `${clients.filter((c) => c.open).length}/${CLIENTS} open, ${ready}/${CLIENTS} saw everyone ` +
    `online, messages received per client min ${Math.min(...counts)} max ${Math.max(...counts)} ` +
    `of ${TOTAL}${lagging ? ` (${lagging})` : ''}, ${clients.filter((c) => c.closed).length} closed`;
}

setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms: ${progress()}`), TIMEOUT_MS);

const base = process.argv[2];
if (!base) finish(2, 'usage: node clients.mjs <server url> [output dir]');
const wsUrl = new URL('/ws', base);
wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';

const names = Array.from({ length: CLIENTS }, (_, i) => `c${i}`);
const nameSet = new Set(names);
const TEXT = /^c(\d+):m(\d+)$/;

// Resolves when every client has satisfied `pred`; checked whenever a client's state moves
// (open, everyone online, all messages in, closed), not on every frame.
let waiting = null;
function waitAll(pred) {
  return new Promise((resolve) => {
    waiting = { pred, resolve };
    check();
  });
}
function check() {
  if (waiting && clients.length === CLIENTS && clients.every(waiting.pred)) {
    const { resolve } = waiting;
    waiting = null;
    resolve();
  }
}

function onFrame(c, data, isBinary) {
  if (isBinary) fail(`${c.name} received a binary frame of ${data.length} bytes`);
  const raw = data.toString();
  let m;
  try {
    m = JSON.parse(raw);
  } catch {
    fail(`${c.name} received a text frame that is not JSON: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (m === null || typeof m !== 'object') fail(`${c.name} received ${raw.slice(0, 200)}, not an object`);
  if (m.type === 'message') {
    if (!c.ready) fail(`${c.name} received a message before everyone had joined: ${raw}`);
    const want = c.count + 1;
    if (m.seq !== want) {
      fail(`${c.name}'s message #${want} has seq ${JSON.stringify(m.seq)}, expected ${want} ` +
        `(seq must run 1..${TOTAL} with no gap or duplicate): ${raw}`);
    }
    const t = typeof m.text === 'string' ? TEXT.exec(m.text) : null;
    const sender = t ? Number(t[1]) : -1;
    const k = t ? Number(t[2]) : -1;
    if (!t || sender >= CLIENTS || k >= MESSAGES) fail(`${c.name} received a text no client sent: ${raw}`);
    if (m.from !== `c${sender}`) fail(`${c.name} received "${m.text}" with from ${JSON.stringify(m.from)}, expected "c${sender}": ${raw}`);
    if (c.next[sender] !== k) {
      fail(`${c.name} received "${m.text}" (seq ${m.seq}) but the next message from c${sender} should have been ` +
        `"c${sender}:m${c.next[sender]}" (each sender's messages once each, in the order sent)`);
    }
    c.next[sender] = k + 1;
    c.ids[c.count] = sender * MESSAGES + k;
    c.count = want;
    if (c.count > TOTAL) fail(`${c.name} received more than ${TOTAL} messages: ${raw}`);
    if (c.count === TOTAL) check();
  } else if (m.type === 'join' || m.type === 'leave') {
    if (typeof m.name !== 'string' || !Array.isArray(m.online)) {
      fail(`${c.name} received a ${m.type} frame without a string name and an online list: ${raw.slice(0, 300)}`);
    }
    if (phase !== 'close' && m.type === 'leave') fail(`${c.name} was told that ${m.name} left before the end`);
    if (m.type === 'join') {
      if (c.ready) fail(`${c.name} was told that ${m.name} joined after everyone was online`);
      if (m.name === c.name) c.sawOwnJoin = true;
      if (!m.online.includes(m.name)) fail(`${c.name}: the online list of ${m.name}'s join lacks ${m.name}: ${raw.slice(0, 300)}`);
      if (m.online.length === CLIENTS && new Set(m.online).size === CLIENTS && m.online.every((n) => nameSet.has(n))) {
        if (!c.sawOwnJoin) fail(`${c.name} saw everyone online before (or without) its own join frame`);
        c.ready = true;
        check();
      }
    }
  } else {
    fail(`${c.name} received a frame of unknown type: ${raw.slice(0, 300)}`);
  }
}

// --- connect everyone and wait until each client has seen all of them online -------------
clients = names.map((name) => {
  const c = { name, ws: null, open: false, ready: false, sawOwnJoin: false, closed: false,
    closeCode: 0, count: 0, next: new Int32Array(CLIENTS), ids: new Int32Array(TOTAL) };
  const url = new URL(wsUrl);
  url.searchParams.set('name', name);
  const ws = new WebSocket(url, { handshakeTimeout: TIMEOUT_MS });
  c.ws = ws;
  ws.on('open', () => { c.open = true; check(); });
  ws.on('message', (data, isBinary) => onFrame(c, data, isBinary));
  ws.on('error', (err) => fail(`${name}: ${err.message}`));
  ws.on('close', (code, reason) => {
    c.closed = true;
    c.closeCode = code;
    if (phase !== 'close') fail(`${name}'s connection closed early: code ${code} ${reason}`);
    check();
  });
  return c;
});
await waitAll((c) => c.ready);
const joined = elapsed();

// --- everyone sends, round-robin across clients, yielding between rounds ------------------
phase = 'messages';
for (let k = 0; k < MESSAGES; k++) {
  for (const c of clients) c.ws.send(`${c.name}:m${k}`);
  await new Promise((resolve) => setImmediate(resolve));
}
await waitAll((c) => c.count === TOTAL);
const delivered = elapsed();

// every sender's messages arrived once each (also ensured frame by frame)
for (const c of clients) {
  const short = c.next.findIndex((n) => n !== MESSAGES);
  if (short >= 0) fail(`${c.name} received ${c.next[short]} of c${short}'s ${MESSAGES} messages`);
}
// one order for everyone
const ref = clients[0];
for (const c of clients.slice(1)) {
  for (let j = 0; j < TOTAL; j++) {
    if (c.ids[j] !== ref.ids[j]) {
      const text = (id) => `c${Math.floor(id / MESSAGES)}:m${id % MESSAGES}`;
      fail(`seq ${j + 1} is "${text(ref.ids[j])}" for ${ref.name} but "${text(c.ids[j])}" for ${c.name} ` +
        '(clients saw different orders)');
    }
  }
}

// --- clean close: our close frame (1000) is answered with the server's close frame (1000) --
phase = 'close';
for (const c of clients) c.ws.close(1000, 'done');
await waitAll((c) => c.closed);
const bad = clients.find((c) => c.closeCode !== 1000);
if (bad) {
  fail(`${bad.name}'s close handshake ended with code ${bad.closeCode}, expected 1000 (1005: the server's ` +
    'close frame had no code; 1006: the connection dropped without a close frame)');
}

finish(0, `ok: ${CLIENTS} clients x ${MESSAGES} messages = ${TOTAL} messages, each delivered to every ` +
  `client in one order (${TOTAL * CLIENTS} deliveries); join ${joined} ms, messages ` +
  `${delivered - joined} ms, close ${elapsed() - delivered} ms, total ${elapsed()} ms`);
