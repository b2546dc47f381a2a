// The protocol of ssekit's samples/pubsub on Node.js's own http module, the
// way a Node developer would write a small SSE pub/sub server: a Map from
// topic to the Set of open responses, res.write() per event.
//
//   $ node server.mjs --port 8080
//   $ curl -N http://127.0.0.1:8080/sub/news &
//   $ curl -d 'hello' http://127.0.0.1:8080/pub/news
//
// Node raises RLIMIT_NOFILE to the hard limit at startup by itself.

import http from 'node:http';
import process from 'node:process';

function parsePort(argv) {
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    const value = arg === '--port' ? argv[++i] : arg.startsWith('--port=') ? arg.slice(7) : undefined;
    if (value !== undefined && /^\d+$/.test(value) && Number(value) < 65536) return Number(value);
  }
  process.stderr.write('usage: node server.mjs --port N\n');
  process.exit(2);
}

const port = parsePort(process.argv.slice(2));
const maxBodyBytes = 1 << 20;

/** @type {Map<string, {subscribers: Set<http.ServerResponse>, lastId: number}>} */
const topics = new Map();

function topic(name) {
  let t = topics.get(name);
  if (t === undefined) {
    t = { subscribers: new Set(), lastId: 0 };
    topics.set(name, t);
  }
  return t;
}

// Every line of data gets its own data field (WHATWG HTML 9.2.6).
function encodeEvent(id, data) {
  return Buffer.from(`id: ${id}\ndata: ${data.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`);
}

// The rest of the path after prefix, or '' when it is empty or nested.
function topicName(url, prefix) {
  if (!url.startsWith(prefix)) return '';
  const query = url.indexOf('?');
  const name = url.slice(prefix.length, query === -1 ? undefined : query);
  return name.includes('/') ? '' : name;
}

function subscribe(req, res, name) {
  // Registered before the head is sent: whatever is published after the
  // client sees the head reaches it.
  const t = topic(name);
  t.subscribers.add(res);
  res.on('close', () => t.subscribers.delete(res));
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  res.flushHeaders();
}

// Headers set but not written, so end() can add a Content-Length.
function reply(res, status, text) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain');
  res.end(text);
}

function publish(req, res, name) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= maxBodyBytes) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > maxBodyBytes) {
      reply(res, 413, 'body too large\n');
      return;
    }
    const t = topic(name);
    const id = ++t.lastId;
    reply(res, 200, `${id}\n`);
    // Encoded once; res.write() queues in memory when a subscriber is slow.
    const event = encodeEvent(id, Buffer.concat(chunks).toString());
    for (const subscriber of t.subscribers) subscriber.write(event);
  });
}

const server = http.createServer((req, res) => {
  let name;
  if (req.method === 'GET' && (name = topicName(req.url, '/sub/')) !== '') {
    subscribe(req, res, name);
  } else if (req.method === 'POST' && (name = topicName(req.url, '/pub/')) !== '') {
    publish(req, res, name);
  } else {
    reply(res, 404, 'not found\n');
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});

// Open event streams never end by themselves, so server.close() would wait forever.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
