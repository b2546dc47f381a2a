#ifndef SSEKIT_SAMPLES_DEMO_PAGE_HPP
#define SSEKIT_SAMPLES_DEMO_PAGE_HPP

#include <string_view>

namespace ssekit::samples {

/** The demo's page: a live message board on one topic (`?topic=NAME`,
    default `board`) and, below it, the three sample streams.

    The board follows `/sub/{topic}` with the browser's EventSource, posts to
    `/pub/{topic}` and polls `/stats` once a second. It keeps the last id it
    saw and the messages it showed in localStorage, so a reloaded tab shows
    them again and opens `/sub/{topic}?last_event_id=ID` to catch up on what
    it missed; on its own reconnects the browser sends `Last-Event-ID`.
    Self-contained: no external scripts, styles or fonts.
*/
inline constexpr std::string_view demo_page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssekit demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; background: #fafafa; }
  h1 { margin-bottom: 0.2rem; }
  section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 1rem; }
  h2 { margin-top: 0; font-size: 1.1rem; }
  code, pre { font-family: ui-monospace, monospace; }
  pre { background: #f3f3f3; padding: 0.5rem; min-height: 8rem; overflow: auto; white-space: pre-wrap; }
  .status { font-size: 0.9rem; }
  .status::before { content: "\25CF "; }
  .connecting { color: #b8860b; }
  .open { color: #2e8b57; }
  .ended { color: #555; }
  .error { color: #c0392b; }
  button { margin-top: 0.5rem; }

  .board { display: grid; grid-template-columns: minmax(0, 2fr) minmax(14rem, 1fr); gap: 1rem; margin-bottom: 2rem; }
  @media (max-width: 50rem) { .board { grid-template-columns: 1fr; } }
  #messages { list-style: none; margin: 0 0 1rem; padding: 0.5rem; height: 18rem; overflow-y: auto;
              background: #f3f3f3; border-radius: 4px; }
  #messages li { padding: 0.2rem 0; border-bottom: 1px solid #e4e4e4; overflow-wrap: anywhere; }
  #messages .id { font-family: ui-monospace, monospace; color: #777; margin-right: 0.5rem; }
  #messages .author { font-weight: bold; margin-right: 0.5rem; }
  #messages .empty { color: #777; border: none; }
  form { display: flex; flex-wrap: wrap; gap: 0.5rem; }
  form input[name=author] { width: 8rem; }
  form input[name=text] { flex: 1; min-width: 10rem; }
  form button { margin-top: 0; }
  #post-result { font-size: 0.9rem; color: #555; min-height: 1.2rem; margin: 0.3rem 0 0; }
  .counters { display: grid; grid-template-columns: 1fr auto; gap: 0.3rem 1rem; margin: 0; }
  .counters dd { margin: 0; font-weight: bold; font-size: 1.4rem; text-align: right; }
  #notices { list-style: none; padding: 0; margin: 1rem 0 0; }
  .notice { padding: 0.4rem 0.6rem; margin-bottom: 0.4rem; border-radius: 4px; font-size: 0.9rem; }
  .notice.reset { background: #fdecea; border-left: 4px solid #c0392b; }
  .notice.dropped { background: #fff4e0; border-left: 4px solid #b8860b; }
  .notice.info { background: #eef4fb; border-left: 4px solid #4a7fb5; }

  .panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
  .count { font-size: 2.5rem; font-weight: bold; margin: 0.5rem 0; }
</style>
</head>
<body>
<h1>ssekit demo</h1>
<p>A live board: open this page in several tabs, post in one, and the message
   arrives in all of them. Reload a tab and it catches up from the server's
   replay buffer. Another board: add <code>?topic=NAME</code> to the address.</p>

<div class="board">
  <section>
    <h2>Board <code id="topic"></code></h2>
    <p class="status connecting" id="board-status">connecting</p>
    <ul id="messages"><li class="empty">No messages yet.</li></ul>
    <form id="post-form">
      <input name="author" id="author" placeholder="your name" maxlength="40" autocomplete="nickname">
      <input name="text" id="text" placeholder="message" maxlength="500" required autocomplete="off">
      <button type="submit" id="send">Send</button>
    </form>
    <p id="post-result"></p>
  </section>

  <section>
    <h2>Topic counters</h2>
    <dl class="counters">
      <dt>subscribers</dt><dd id="subscribers">&ndash;</dd>
      <dt>published</dt><dd id="published">&ndash;</dd>
      <dt>dropped</dt><dd id="dropped">&ndash;</dd>
      <dt>open connections</dt><dd id="connections">&ndash;</dd>
    </dl>
    <p class="status" id="stats-status">from <code>GET /stats</code>, once a second</p>
    <ul id="notices"></ul>
  </section>
</div>

<h2>The sample streams</h2>
<p>Each panel opens a stream with <code>EventSource</code> when you ask. A
   browser allows six HTTP/1.1 connections to one server, shared by all its
   tabs, and every board tab holds one open; so these do not start by
   themselves.</p>

<div class="panels">
  <section>
    <h2><code>GET /events</code></h2>
    <p class="status" id="events-status">not connected</p>
    <pre id="events-log"></pre>
    <p>Six events one second apart, then the server ends the stream. An
       <code>EventSource</code> would reconnect and start over; this page
       closes it once all six arrived.</p>
    <button id="events-start">Run</button>
  </section>

  <section>
    <h2><code>GET /heartbeat</code></h2>
    <p class="status" id="heartbeat-status">not connected</p>
    <div class="count" id="heartbeat-count">0</div>
    <p>beats received (one every 10 ms); the stream stays open until you
       disconnect or leave the page.</p>
    <button id="heartbeat-toggle">Connect</button>
  </section>

  <section>
    <h2><code>GET /json</code></h2>
    <p class="status" id="json-status">not connected</p>
    <pre id="json-log"></pre>
    <p>A Customer and a Product sent as JSON, then the stream ends; the page
       parses each <code>data</code> field.</p>
    <button id="json-start">Run</button>
  </section>
</div>

<script>
"use strict";

function setStatus(name, text, kind) {
  const element = document.getElementById(name + "-status");
  element.textContent = text;
  element.className = "status " + kind;
}

// --- The board -------------------------------------------------------------

const topic = new URLSearchParams(location.search).get("topic") || "board";
const topicPath = encodeURIComponent(topic);
// Shared by every tab of this topic: the last id seen and the messages shown.
const lastIdKey = "ssekit-demo/" + topic + "/last-id";
const messagesKey = "ssekit-demo/" + topic + "/messages";
const keptMessages = 100;

const messageList = document.getElementById("messages");
const notices = document.getElementById("notices");
document.getElementById("topic").textContent = topic;

function loadMessages() {
  try {
    const messages = JSON.parse(localStorage.getItem(messagesKey) || "[]");
    return Array.isArray(messages) ? messages : [];
  } catch {
    return [];
  }
}

let shown = loadMessages();

// A message's data is {"author": ..., "text": ...} when this page posted it;
// anything else (curl -d 'hi' .../pub/board) is shown as plain text.
function parseMessage(id, data) {
  try {
    const value = JSON.parse(data);
    if (value && typeof value.text === "string") {
      return { id: id, author: String(value.author || "anonymous"), text: value.text };
    }
  } catch {
    // not JSON: plain text
  }
  return { id: id, author: "", text: data };
}

function renderMessage(message) {
  const item = document.createElement("li");
  item.dataset.id = message.id;
  const id = document.createElement("span");
  id.className = "id";
  id.textContent = "#" + message.id;
  item.append(id);
  if (message.author) {
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author;
    item.append(author);
  }
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.text;
  item.append(text);
  const empty = messageList.querySelector(".empty");
  if (empty) {
    empty.remove();
  }
  messageList.append(item);
  messageList.scrollTop = messageList.scrollHeight;
}

function addNotice(kind, text) {
  const item = document.createElement("li");
  item.className = "notice " + kind;
  item.textContent = new Date().toLocaleTimeString() + "  " + text;
  notices.prepend(item);
  while (notices.children.length > 8) {
    notices.lastChild.remove();
  }
}

shown.forEach(renderMessage);

// On a first load the browser cannot send Last-Event-ID, so the page passes
// the id it remembers as a query parameter; on its own reconnects the
// browser sends the header, which the server prefers.
const lastId = localStorage.getItem(lastIdKey);
const boardUrl = "/sub/" + topicPath + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : "");
const board = new EventSource(boardUrl);
let everOpen = false;
let seenId = ""; // what the browser sends as Last-Event-ID when it reconnects

board.onopen = () => {
  setStatus("board", "open: " + boardUrl, "open");
  if (everOpen) {
    addNotice("info", seenId ? "Reconnected with Last-Event-ID: " + seenId + "." : "Reconnected.");
  }
  everOpen = true;
};

board.onerror = () => {
  if (board.readyState === EventSource.CONNECTING) {
    setStatus("board", "connection lost, reconnecting", "error");
  } else {
    setStatus("board", "closed", "error");
  }
};

board.onmessage = (event) => {
  const message = parseMessage(event.lastEventId, event.data);
  renderMessage(message);
  shown.push(message);
  shown = shown.slice(-keptMessages);
  localStorage.setItem(messagesKey, JSON.stringify(shown));
  localStorage.setItem(lastIdKey, event.lastEventId);
  seenId = event.lastEventId;
};

// The server no longer holds the events after our id (it restarted, or they
// left its replay buffer): some messages may be missing.
board.addEventListener("reset", (event) => {
  addNotice("reset", "The server no longer has the messages after #" + event.data +
            " (it restarted, or they left its replay buffer): some may be missing here.");
  localStorage.removeItem(lastIdKey);
});

// This tab fell behind and the server dropped events from its queue.
board.addEventListener("dropped", (event) => {
  addNotice("dropped", event.data + " message(s) dropped: this tab fell behind.");
});

document.getElementById("post-form").onsubmit = async (submit) => {
  submit.preventDefault();
  const author = document.getElementById("author");
  const text = document.getElementById("text");
  const result = document.getElementById("post-result");
  localStorage.setItem("ssekit-demo/author", author.value);
  try {
    const response = await fetch("/pub/" + topicPath, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ author: author.value, text: text.value }),
    });
    const answer = (await response.text()).trim();
    if (!response.ok) {
      throw new Error(response.status + " " + answer);
    }
    result.textContent = "published as #" + answer;
    text.value = "";
  } catch (error) {
    result.textContent = "not published: " + error.message;
  }
};
document.getElementById("author").value = localStorage.getItem("ssekit-demo/author") || "";

async function refreshStats() {
  try {
    const response = await fetch("/stats", { cache: "no-store" });
    const stats = await response.json();
    const counters = stats.topics[topic] || { subscribers: 0, published: 0, dropped: 0 };
    for (const name of ["subscribers", "published", "dropped"]) {
      document.getElementById(name).textContent = String(counters[name]);
    }
    document.getElementById("connections").textContent = String(stats.connections);
    setStatus("stats", "from GET /stats, once a second", "open");
  } catch {
    setStatus("stats", "GET /stats failed; retrying", "error");
  }
}

refreshStats();
setInterval(refreshStats, 1000);

// --- The sample streams ----------------------------------------------------

const finiteStreams = {};

// Opens `path` and closes it when the server ends the stream after
// `expected` events: otherwise EventSource would reconnect and replay.
function openFiniteStream(name, path, expected, onData) {
  if (finiteStreams[name]) {
    finiteStreams[name].close();
  }
  const log = document.getElementById(name + "-log");
  log.textContent = "";
  let received = 0;
  setStatus(name, "connecting", "connecting");
  const source = new EventSource(path);
  finiteStreams[name] = source;
  source.onopen = () => setStatus(name, "open", "open");
  source.onmessage = (event) => {
    received += 1;
    log.textContent += onData(event.data) + "\n";
  };
  source.onerror = () => {
    if (received >= expected) {
      source.close();
      setStatus(name, "ended after " + received + " events (closed by the page)", "ended");
    } else if (source.readyState === EventSource.CONNECTING) {
      setStatus(name, "connection lost, reconnecting", "error");
    } else {
      setStatus(name, "closed", "error");
    }
  };
}

function startEvents() {
  openFiniteStream("events", "/events", 6, (data) => new Date().toLocaleTimeString() + "  " + data);
}

function startJson() {
  openFiniteStream("json", "/json", 2, (data) => JSON.stringify(JSON.parse(data), null, 2));
}

let heartbeat = null;

function startHeartbeat() {
  const count = document.getElementById("heartbeat-count");
  let beats = 0;
  count.textContent = "0";
  setStatus("heartbeat", "connecting", "connecting");
  heartbeat = new EventSource("/heartbeat");
  heartbeat.onopen = () => setStatus("heartbeat", "open", "open");
  heartbeat.onmessage = () => {
    beats += 1;
    count.textContent = String(beats);
  };
  heartbeat.onerror = () => setStatus("heartbeat", "connection lost, reconnecting", "error");
  document.getElementById("heartbeat-toggle").textContent = "Disconnect";
}

function toggleHeartbeat() {
  if (heartbeat === null) {
    startHeartbeat();
    return;
  }
  heartbeat.close();
  heartbeat = null;
  setStatus("heartbeat", "closed by the page", "ended");
  document.getElementById("heartbeat-toggle").textContent = "Connect";
}

document.getElementById("events-start").onclick = startEvents;
document.getElementById("json-start").onclick = startJson;
document.getElementById("heartbeat-toggle").onclick = toggleHeartbeat;
</script>
</body>
</html>
)html";

} // namespace ssekit::samples

#endif
