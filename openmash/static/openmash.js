// Starts the GOV.UK Frontend components (conditional reveals, character counts, error summary focus).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();

// While someone is typing, tell the server at most every few minutes, so that writing a long
// account of the concerns does not count as being idle. An unattended laptop still signs out.
const KEEP_ALIVE_EVERY_MS = 4 * 60 * 1000;
let lastKeepAlive = Date.now();
document.addEventListener("input", () => {
  if (Date.now() - lastKeepAlive < KEEP_ALIVE_EVERY_MS) return;
  lastKeepAlive = Date.now();
  fetch("/keep-alive/", { credentials: "same-origin", cache: "no-store" }).catch(() => {});
});
