// Live updates for the wall board: listen to /board/events and ask the board to refresh when the
// server says it changed (docs/adr/0009-live-boards.md). Loaded after board.js, whose hook it uses:
// a "board:changed" event on `document` makes the board fetch its rows (coalesced), and the board
// dispatches "board:revoked" when the server refuses its key.
//
// The stream says only that something changed, never what. The script tells it the server time of the
// data on the screen (`since`: #board-data's data-server-now), so that a change made between that and
// the stream's start is not missed: the server then sends "changed" at once. The events are
//   ready      the stream is receiving changes
//   changed    refresh
//   heartbeat  every 15 s: the stream is alive
//   revoked    the board was switched off: stop, and let the board's refresh show it
//
// WHEN THE STREAM DROPS (network, server restart, the stream's half-hourly end) the script closes it
// and reconnects itself with back-off (1 s doubling to 60 s, with jitter), instead of EventSource's
// fixed retry, which also gives up for good after an HTTP error. Meanwhile board.js polls every 30 s
// (it always does when nothing else has made it refresh), so a disconnected board is at most 30 s
// behind. An HTTP error (a switched-off board answers 404) makes the board refresh at once: if the
// key is refused the board switches itself off and this script stops.
//
// A WEEK ON THE WALL. One EventSource at a time (the old one is closed, its listeners go with it),
// one pending reconnect timer at most, one watchdog interval for the page's life.

const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const SILENT_MS = 50_000; // no event (not even a heartbeat) for this long: the stream is dead
const WATCH_EVERY_MS = 10_000;

const board = window.openmashBoard;
const config = document.querySelector("script[data-events-url]");

let source = null;
let retryTimer = null;
let backoff = BACKOFF_MIN_MS;
let lastEvent = performance.now();
let stopped = false;

function refresh() {
  document.dispatchEvent(new Event("board:changed"));
}

function alive() {
  lastEvent = performance.now();
}

function disconnect() {
  if (source) {
    source.close();
    source = null;
  }
}

function stop() {
  stopped = true;
  disconnect();
  clearTimeout(retryTimer);
  retryTimer = null;
}

function scheduleReconnect() {
  if (stopped || retryTimer !== null) return;
  const delay = backoff * (0.5 + Math.random() / 2);
  backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    connect();
  }, delay);
}

function connect() {
  if (stopped) return;
  disconnect();
  const url = new URL(config.dataset.eventsUrl, window.location.href);
  url.searchParams.set("key", board.key);
  const shown = document.getElementById("board-data");
  if (shown && shown.dataset.serverNow) url.searchParams.set("since", shown.dataset.serverNow);
  const stream = new EventSource(url);
  source = stream;
  alive();
  stream.addEventListener("ready", () => {
    backoff = BACKOFF_MIN_MS;
    alive();
  });
  stream.addEventListener("changed", () => {
    alive();
    refresh();
  });
  stream.addEventListener("heartbeat", alive);
  stream.addEventListener("revoked", () => {
    stop();
    refresh(); // the key is refused now: the board shows that it has been switched off
  });
  stream.addEventListener("error", () => {
    if (stream !== source) return;
    // CLOSED: an HTTP error (e.g. 404 for a switched-off board), which EventSource never retries;
    // CONNECTING: a network error or the end of the stream. Either way, reconnect with back-off.
    const refused = stream.readyState === EventSource.CLOSED;
    disconnect();
    if (refused) refresh();
    scheduleReconnect();
  });
}

if (board && config && !board.revoked) {
  document.addEventListener("board:revoked", stop);
  // Back on the network: try at once rather than wait out the back-off.
  window.addEventListener("online", () => {
    if (stopped || source) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    connect();
  });
  setInterval(() => {
    if (!stopped && source && performance.now() - lastEvent > SILENT_MS) {
      disconnect();
      scheduleReconnect();
    }
  }, WATCH_EVERY_MS);
  connect();
}
