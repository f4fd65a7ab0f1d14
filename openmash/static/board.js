// The wall board (openmash/board/jinja2/board/page.html): clocks that tick every second, rows that
// refresh when something changes, and pages that turn when there are more than 40 referrals.
//
// THE REFRESH HOOK — for the live stream (or anything else that learns the board has changed):
//
//   window.openmashBoard.refresh()                      fetch the board's rows now, or
//   document.dispatchEvent(new Event("board:changed"))  the same, as an event.
//
// Calls while a fetch is running are coalesced into one more fetch after it, so a burst of changes
// costs at most two fetches. `window.openmashBoard.key` is the board's key (for /board/events?key=…).
// When the server refuses the key (the board was switched off), the board shows so, stops fetching
// and dispatches "board:revoked" on `document`: close the stream then. Without any hook the board
// still polls every 30 seconds.
//
// THE CLOCK. The screen's own clock may be hours wrong, or in another time zone. Every fragment
// carries the server's time (`data-server-now`); the board anchors it to the monotonic
// `performance.now()` at the middle of the request, and counts from there. `Date.now()` is never
// used, so a wrong or jumping screen clock changes nothing.
//
// A WEEK ON THE WALL. One timer (re-armed each second), listeners added once, rows replaced whole
// (the old nodes go with their references): nothing grows while the board stays open.

const POLL_MS = 30_000; // fallback refresh when nothing else asked for one
const PAGE_MS = 15_000; // how long each page of rows stays up
const FETCH_TIMEOUT_MS = 10_000;
const STALE_MS = 75_000; // after this without a successful refresh, the header says so

const main = document.getElementById("board-main");
const key = new URLSearchParams(window.location.search).get("key") || "";
const fragmentUrl = new URL(main.dataset.fragmentUrl, window.location.href);
const nowElement = document.getElementById("board-now");
const staleElement = document.getElementById("board-stale");
const staleSince = document.getElementById("board-stale-since");
const timeFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

// Server time = anchor.server + (performance.now() - anchor.perf), in milliseconds.
const anchor = { server: 0, perf: 0 };
let clocks = []; // the <time data-due> elements of the rows shown, with their due times
let page = 1;
let pages = 1;
let pageShownAt = performance.now();
let lastSuccess = performance.now();
let lastAttempt = performance.now();
let inFlight = false;
let again = false;
let revoked = false;

function serverNow() {
  return anchor.server + (performance.now() - anchor.perf);
}

// `3:12:09`, or `overdue 0:12:40` once the due time has passed (as the server renders it).
function countdownText(dueMs, nowMs) {
  const seconds = Math.floor((dueMs - nowMs) / 1000);
  const overdue = seconds < 0;
  const left = Math.abs(seconds);
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const text = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return { text: overdue ? `overdue ${text}` : text, overdue };
}

function adopt(data, perfAtServerNow) {
  // The data's own time anchors the clock; rows, page numbers and clocks are read from it once.
  const server = Date.parse(data.dataset.serverNow);
  if (!Number.isNaN(server)) {
    anchor.server = server;
    anchor.perf = perfAtServerNow;
  }
  page = Number(data.dataset.page) || 1;
  pages = Number(data.dataset.pages) || 1;
  clocks = Array.from(data.querySelectorAll("time[data-due]"), (el) => ({ el, due: Date.parse(el.dataset.due) }));
}

function tick() {
  const now = serverNow();
  for (const { el, due } of clocks) {
    const { text, overdue } = countdownText(due, now);
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle("is-overdue", overdue);
  }
  const wall = timeFormat.format(now);
  if (nowElement.textContent !== wall) {
    nowElement.textContent = wall;
    nowElement.setAttribute("datetime", new Date(now).toISOString());
  }
  if (revoked) return;
  const perf = performance.now();
  const stale = perf - lastSuccess > STALE_MS;
  if (staleElement.hidden === stale) {
    staleSince.textContent = timeFormat.format(anchor.server + (lastSuccess - anchor.perf));
    staleElement.hidden = !stale;
  }
  if (pages <= 1) {
    pageShownAt = perf; // a second page, when one appears, gets its full turn later
  } else if (perf - pageShownAt >= PAGE_MS) {
    pageShownAt = perf;
    refresh((page % pages) + 1);
    return;
  }
  if (perf - lastAttempt >= POLL_MS) refresh();
}

function loop() {
  tick();
  // Wake just after the next whole second of server time, so every clock turns together.
  setTimeout(loop, 1000 - (serverNow() % 1000) + 15);
}

function switchOff() {
  revoked = true;
  clocks = [];
  const data = document.getElementById("board-data");
  if (data) data.remove();
  staleElement.hidden = true;
  document.getElementById("board-off").hidden = false;
  document.dispatchEvent(new Event("board:revoked"));
}

async function refresh(wanted = page) {
  if (revoked) return;
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  lastAttempt = performance.now();
  const url = new URL(fragmentUrl);
  url.searchParams.set("key", key);
  url.searchParams.set("page", String(wanted));
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const sent = performance.now();
    const response = await fetch(url, {
      cache: "no-store", credentials: "omit", signal: controller.signal, headers: { Accept: "text/html" },
    });
    // The server read its clock between sending and answering: take the middle.
    const middle = (sent + performance.now()) / 2;
    if (response.status === 404 || response.status === 403) {
      switchOff();
      return;
    }
    if (!response.ok) throw new Error(`board fragment answered ${response.status}`);
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const fresh = template.content.getElementById("board-data");
    const current = document.getElementById("board-data");
    if (!fresh || !current) throw new Error("board fragment without #board-data");
    current.replaceWith(fresh);
    adopt(fresh, middle);
    lastSuccess = performance.now();
    tick();
  } catch (error) {
    // Keep showing the last rows (their clocks still tick); the header says when they go stale.
    console.warn("Board refresh failed:", error.message);
  } finally {
    clearTimeout(timeout);
    inFlight = false;
    if (again && !revoked) {
      again = false;
      refresh();
    }
  }
}

// The page came with its first rows: anchor them to when the server's answer arrived.
const navigation = performance.getEntriesByType("navigation")[0];
adopt(document.getElementById("board-data"), navigation ? navigation.responseStart : performance.now());
document.addEventListener("board:changed", () => refresh());
window.openmashBoard = Object.freeze({
  key,
  refresh: () => refresh(),
  get revoked() {
    return revoked;
  },
});
loop();
