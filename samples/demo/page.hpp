#ifndef SSEKIT_SAMPLES_DEMO_PAGE_HPP
#define SSEKIT_SAMPLES_DEMO_PAGE_HPP

#include <string_view>

namespace ssekit::samples {

/// The demo's page: three panels, each fed by the browser's EventSource.
/// Self-contained: no external scripts, styles or fonts.
inline constexpr std::string_view demo_page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssekit demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; background: #fafafa; }
  h1 { margin-bottom: 0.2rem; }
  .panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
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
  .count { font-size: 2.5rem; font-weight: bold; margin: 0.5rem 0; }
  button { margin-top: 0.5rem; }
</style>
</head>
<body>
<h1>ssekit demo</h1>
<p>Each panel opens a stream with the browser's <code>EventSource</code>.</p>

<div class="panels">
  <section>
    <h2><code>GET /events</code></h2>
    <p class="status" id="events-status">not connected</p>
    <pre id="events-log"></pre>
    <p>Six events one second apart, then the server ends the stream. An
       <code>EventSource</code> would reconnect and start over; this page
       closes it once all six arrived.</p>
    <button id="events-again">Run again</button>
  </section>

  <section>
    <h2><code>GET /heartbeat</code></h2>
    <p class="status" id="heartbeat-status">not connected</p>
    <div class="count" id="heartbeat-count">0</div>
    <p>beats received (one every 10 ms); the stream stays open until you
       leave the page.</p>
    <button id="heartbeat-toggle">Disconnect</button>
  </section>

  <section>
    <h2><code>GET /json</code></h2>
    <p class="status" id="json-status">not connected</p>
    <pre id="json-log"></pre>
    <p>A Customer and a Product sent as JSON, then the stream ends; the page
       parses each <code>data</code> field.</p>
    <button id="json-again">Run again</button>
  </section>
</div>

<script>
"use strict";

function setStatus(name, text, kind) {
  const element = document.getElementById(name + "-status");
  element.textContent = text;
  element.className = "status " + kind;
}

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

document.getElementById("events-again").onclick = startEvents;
document.getElementById("json-again").onclick = startJson;
document.getElementById("heartbeat-toggle").onclick = toggleHeartbeat;

startEvents();
startHeartbeat();
startJson();
</script>
</body>
</html>
)html";

} // namespace ssekit::samples

#endif
