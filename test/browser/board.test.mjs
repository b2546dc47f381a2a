// The demo board (samples/demo) in headless Chromium: a message posted in one
// page arrives in another, a page opened later catches up from the replay
// buffer, and after a server restart on the same port the pages resume with
// Last-Event-ID. A page of another origin subscribes when the demo allows
// it (`--cors-origin`), with and without cookies, and cannot when it does
// not. Then two demos sharing one redis-server (`--redis`): a
// message posted on one server appears on a page of the other, and a page
// whose server was replaced by a new process resumes with no loss.
//
// Run by Meson (suite 'browser'), which sets SSEKIT_SAMPLE_DEMO; by hand:
//   SSEKIT_SAMPLE_DEMO=build/samples/sample-demo node --test test/browser/board.test.mjs
// Needs /usr/bin/chromium (or SSEKIT_CHROMIUM) and node_modules from `npm ci`;
// the cluster tests need SSEKIT_REDIS_SERVER (a redis-server; Meson sets it
// when ssekit is built with the Redis backplane) and are skipped without it.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const demoPath = process.env.SSEKIT_SAMPLE_DEMO;
const redisServerPath = process.env.SSEKIT_REDIS_SERVER;
const chromiumPath = process.env.SSEKIT_CHROMIUM || "/usr/bin/chromium";
const chromiumArgs = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// Every wait is bounded. Chromium reconnects an EventSource after about 3 s.
const waitMs = 15_000;
const testMs = 60_000;

const running = new Set(); // the demo servers and redis-servers this file started

// Stop whatever is still running if the runner exits early.
process.on("exit", () => {
  for (const child of running) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Starts `sample-demo --port PORT [EXTRA...]` and resolves with its port once
// it printed `listening on http://127.0.0.1:PORT`; rejects if it exits first.
function startDemoOnce(port, extra) {
  const child = spawn(demoPath, ["--port", String(port), ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const started = new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(stdout);
      if (match) {
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      running.delete(child);
      reject(new Error(`sample-demo exited (${signal || code}) before listening: ${stderr.trim()}`));
    });
  });
  return withTimeout(started, waitMs, `sample-demo --port ${port} to print its address`).catch(async (error) => {
    await stopProcess({ child }).catch(() => {});
    throw error;
  });
}

// The same port may stay busy for a moment after the old server is gone.
async function startDemo(port = 0, extra = []) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await startDemoOnce(port, extra);
    } catch (error) {
      if (port === 0 || Date.now() > deadline || !/cannot listen/.test(error.message)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

// SIGTERM by PID (a sample or redis-server stops cleanly), SIGKILL if it does
// not exit in time.
async function stopProcess({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  try {
    await withTimeout(exited, waitMs, `${child.spawnfile} to stop on SIGTERM`);
  } catch (error) {
    process.kill(child.pid, "SIGKILL");
    await withTimeout(exited, waitMs, `${child.spawnfile} to die on SIGKILL`);
    throw error;
  }
}

// launch() gives the browser a fresh temporary profile of its own.
async function launchBrowser(chromium) {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
  return { browser, context: await browser.newContext() };
}

// Closes the browser and stops every process this file started.
async function stopAll(browser) {
  await browser?.close();
  for (const child of [...running]) {
    await stopProcess({ child }).catch(() => {});
  }
}

// A port nothing listens on now (another process may take it before us:
// startRedis tries again).
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Starts a redis-server of this test's own on 127.0.0.1, keeping nothing on
// disk; resolves with { child, port, dir } once it is ready for connections.
async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "ssekit-board-redis-"));
  for (let attempt = 0; ; ++attempt) {
    const port = await freePort();
    const child = spawn(redisServerPath, ["--port", String(port), "--bind", "127.0.0.1", "--save", "",
                                          "--appendonly", "no", "--dir", dir],
                        { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let output = "";
    const ready = new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        output += chunk;
        if (output.includes("Ready to accept connections")) {
          resolve({ child, port, dir });
        }
      });
      child.on("error", reject);
      child.on("exit", (code, signal) => {
        running.delete(child);
        reject(new Error(`redis-server exited (${signal || code}): ${output.trim().split("\n").at(-1)}`));
      });
    });
    try {
      return await withTimeout(ready, waitMs, "redis-server to accept connections");
    } catch (error) {
      await stopProcess({ child }).catch(() => {});
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

// Resolves once GET /ready answers 200: the demo's backplane delivers.
async function waitReady(base) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const response = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(waitMs) }).catch(() => null);
    if (response?.status === 200) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${base}/ready did not answer 200 within ${waitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Opens the board and waits until its EventSource is open. Remembers the
// page's requests to /sub/ and the errors its scripts throw.
async function openBoard(context, base) {
  const page = await context.newPage();
  const board = { page, subscriptions: [], errors: [] };
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/sub/")) {
      board.subscriptions.push(request);
    }
  });
  page.on("pageerror", (error) => board.errors.push(error.message));
  await page.goto(base + "/", { timeout: waitMs });
  await page.locator("#board-status.open").waitFor({ timeout: waitMs });
  return board;
}

// Posts through the page's form; resolves with the id the server answered.
async function postFromPage(page, author, text) {
  await page.fill("#author", author);
  await page.fill("#text", text);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.startsWith("/pub/") && r.request().method() === "POST",
                         { timeout: waitMs }),
    page.click("#send", { timeout: waitMs }),
  ]);
  assert.equal(response.status(), 200);
  return (await response.text()).trim();
}

// Waits for the message with `text` in the page's list; resolves with its id.
async function messageId(page, text) {
  const item = page.locator("#messages li", { hasText: text });
  await item.waitFor({ timeout: waitMs });
  return item.getAttribute("data-id");
}

// `text`: a substring, or a RegExp for an exact value.
async function waitForText(page, selector, text) {
  await page.locator(selector, { hasText: text }).waitFor({ timeout: waitMs });
}

describe("the demo board in Chromium", () => {
  let chromium;
  let browser;
  let context;
  let server;
  let base;

  before(async () => {
    assert.ok(demoPath, "SSEKIT_SAMPLE_DEMO is not set: run this test with `meson test --suite browser`");
    assert.ok(existsSync(demoPath), `SSEKIT_SAMPLE_DEMO=${demoPath} does not exist: build it first`);
    assert.ok(existsSync(chromiumPath),
              `${chromiumPath} not found: install Debian's chromium package (./dev test does) or set SSEKIT_CHROMIUM`);
    try {
      ({ chromium } = await import("playwright-core"));
    } catch (error) {
      assert.fail(`playwright-core is not installed in test/browser/node_modules: run ./dev test, ` +
                  `or npm ci in test/browser (${error.message})`);
    }

    server = await startDemo();
    base = `http://127.0.0.1:${server.port}`;
    ({ browser, context } = await launchBrowser(chromium));
  });

  after(() => stopAll(browser));

  let first; // the pages of the first test
  let later; // the page opened after them
  let firstId; // the ids the server gave the first two messages
  let secondId;

  it("shows a message posted in one page in another, with its id", { timeout: testMs }, async () => {
    first = [await openBoard(context, base), await openBoard(context, base)];
    const [a, b] = first;
    await waitForText(a.page, "#subscribers", /^2$/);

    firstId = await postFromPage(a.page, "Ann", "hello from page A");
    assert.match(firstId, /^[0-9a-v]{8}-1$/, "the topic's epoch, then the offset");
    assert.equal(await messageId(b.page, "hello from page A"), firstId);
    await waitForText(b.page, `#messages li[data-id='${firstId}'] .author`, "Ann");
    assert.equal(await messageId(a.page, "hello from page A"), firstId);
    await waitForText(b.page, "#published", /^1$/);
  });

  it("a page opened later catches up from the replay buffer", { timeout: testMs }, async () => {
    for (const board of first) {
      await board.page.close();
    }
    // Published while no page is open: only the replay can bring it.
    const response = await fetch(`${base}/pub/board`, {
      method: "POST",
      body: JSON.stringify({ author: "node", text: "posted while no page was open" }),
      signal: AbortSignal.timeout(waitMs),
    });
    secondId = (await response.text()).trim();
    assert.equal(secondId, firstId.replace(/-1$/, "-2"));

    later = await openBoard(context, base);
    assert.equal(new URL(later.subscriptions[0].url()).search, `?last_event_id=${firstId}`,
                 "the page asks for what followed the last id it saw");
    assert.equal(await messageId(later.page, "hello from page A"), firstId); // kept by the page
    assert.equal(await messageId(later.page, "posted while no page was open"), secondId); // replayed
  });

  it("after a server restart on the same port, the pages resume with Last-Event-ID", { timeout: testMs },
     async () => {
    const other = await openBoard(context, base);
    const port = server.port;
    await stopProcess(server);
    server = await startDemo(port);
    assert.equal(server.port, port);

    // `later` opened with the first id and then received the second: the
    // reset for the second can only come from the Last-Event-ID header of
    // its reconnect. The new server's topic has another epoch, so both pages
    // get a reset.
    for (const board of [later, other]) {
      await waitForText(board.page, "#notices .notice.reset", `after #${secondId}`);
      await waitForText(board.page, "#board-status", "open");
    }
    const reconnect = later.subscriptions.at(-1);
    assert.equal(new URL(reconnect.url()).search, `?last_event_id=${firstId}`,
                 "EventSource reconnects to the same URL");
    assert.equal((await reconnect.allHeaders())["last-event-id"], secondId);

    const id = await postFromPage(other.page, "Bob", "after the restart");
    assert.match(id, /^[0-9a-v]{8}-1$/, "the new server's topic counts from 1");
    assert.notEqual(id.split("-")[0], firstId.split("-")[0], "under a new epoch");
    assert.equal(await messageId(later.page, "after the restart"), id);
    await waitForText(later.page, "#subscribers", /^2$/);

    assert.deepEqual([...later.errors, ...other.errors], [], "no script errors in the pages");
  });
});

// A page at http://127.0.0.1:PORT/ of its own: another origin than the demo's.
async function startPageServer() {
  const server = createHttpServer((request, response) => {
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end("<!DOCTYPE html><title>another origin</title>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

// In `page`, opens an EventSource on `url`; resolves with "open" once it is
// open, or "closed" once the browser gave up on it (a CORS refusal).
function openCrossOrigin(page, url, withCredentials) {
  return page.evaluate(({ url, withCredentials }) => new Promise((resolve) => {
    const source = new EventSource(url, { withCredentials });
    window.received = [];
    window.source = source;
    source.onopen = () => resolve("open");
    source.onmessage = (event) => window.received.push(event.data);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        resolve("closed");
      }
    };
  }), { url, withCredentials });
}

describe("the demo from a page of another origin", () => {
  let browser;
  let context;
  let demo;
  let allowed;
  let other;

  before(async () => {
    const { chromium } = await import("playwright-core");
    allowed = await startPageServer();
    other = await startPageServer();
    demo = await startDemo(0, ["--cors-origin", allowed.origin]);
    ({ browser, context } = await launchBrowser(chromium));
  });

  after(async () => {
    await stopAll(browser);
    allowed?.server.close();
    other?.server.close();
  });

  for (const withCredentials of [false, true]) {
    it(`subscribes when the demo allows its origin (withCredentials: ${withCredentials})`, { timeout: testMs },
       async () => {
      const page = await context.newPage();
      await page.goto(allowed.origin + "/", { timeout: waitMs });
      const topic = `cross-${withCredentials}`;
      const state = await withTimeout(
        openCrossOrigin(page, `http://127.0.0.1:${demo.port}/sub/${topic}`, withCredentials), waitMs,
        "the cross-origin EventSource to open");
      assert.equal(state, "open");
      const response = await fetch(`http://127.0.0.1:${demo.port}/pub/${topic}`, {
        method: "POST", body: "across origins", signal: AbortSignal.timeout(waitMs),
      });
      assert.equal(response.status, 200);
      await page.waitForFunction(() => window.received.includes("across origins"), null, { timeout: waitMs });
      await page.evaluate(() => window.source.close());
      await page.close();
    });
  }

  it("cannot subscribe from an origin the demo does not allow", { timeout: testMs }, async () => {
    const page = await context.newPage();
    await page.goto(other.origin + "/", { timeout: waitMs });
    const state = await withTimeout(
      openCrossOrigin(page, `http://127.0.0.1:${demo.port}/sub/cross-refused`, false), waitMs,
      "the browser to give up on the EventSource");
    assert.equal(state, "closed");
    await page.close();
  });
});

describe("the demo board on two servers sharing one Redis", {
  skip: redisServerPath ? false : "SSEKIT_REDIS_SERVER is not set: ssekit was built without the Redis backplane",
}, () => {
  let browser;
  let context;
  let redis;
  const servers = [];
  const bases = [];

  async function startClusterDemo(port = 0) {
    const demo = await startDemo(port, ["--redis", `127.0.0.1:${redis.port}`]);
    await waitReady(`http://127.0.0.1:${demo.port}`);
    return demo;
  }

  before(async () => {
    assert.ok(existsSync(redisServerPath), `SSEKIT_REDIS_SERVER=${redisServerPath} does not exist`);
    const { chromium } = await import("playwright-core");
    redis = await startRedis();
    for (let i = 0; i < 2; ++i) {
      servers.push(await startClusterDemo());
      bases.push(`http://127.0.0.1:${servers[i].port}`);
    }
    ({ browser, context } = await launchBrowser(chromium));
  });

  after(async () => {
    await stopAll(browser);
    if (redis) {
      rmSync(redis.dir, { recursive: true, force: true });
    }
  });

  let onFirst; // a page of the first server
  let onSecond; // a page of the second
  let firstId;

  it("shows a message posted on one server in a page of the other, with the same id", { timeout: testMs },
     async () => {
    onFirst = await openBoard(context, bases[0]);
    onSecond = await openBoard(context, bases[1]);
    firstId = await postFromPage(onFirst.page, "Ann", "hello across servers");
    assert.match(firstId, /^[0-9a-v]{8}-1$/);
    assert.equal(await messageId(onSecond.page, "hello across servers"), firstId);
    assert.equal(await messageId(onFirst.page, "hello across servers"), firstId);
    // Each server's /stats counts the topic's publishes, wherever they were made.
    await waitForText(onSecond.page, "#published", /^1$/);
  });

  it("a page whose server was replaced by a new process resumes from Redis with nothing lost",
     { timeout: testMs }, async () => {
    const port = servers[1].port;
    await stopProcess(servers[1]);
    // Published while the second server is gone: only Redis holds it.
    const missedId = await postFromPage(onFirst.page, "Ann", "posted while the second server was gone");
    assert.equal(missedId, firstId.replace(/-1$/, "-2"), "the same epoch, the next offset");

    servers[1] = await startClusterDemo(port);
    assert.equal(await messageId(onSecond.page, "posted while the second server was gone"), missedId);
    const reconnect = onSecond.subscriptions.at(-1);
    assert.equal((await reconnect.allHeaders())["last-event-id"], firstId,
                 "the page resumed after the last id it saw");
    assert.equal(await onSecond.page.locator("#notices .notice.reset").count(), 0, "no reset: nothing was lost");

    const id = await postFromPage(onSecond.page, "Bob", "from the new process");
    assert.equal(id, firstId.replace(/-1$/, "-3"));
    assert.equal(await messageId(onFirst.page, "from the new process"), id);
    assert.deepEqual([...onFirst.errors, ...onSecond.errors], [], "no script errors in the pages");
  });
});
