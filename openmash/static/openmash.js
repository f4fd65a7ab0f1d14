// Page behaviour: the GOV.UK Frontend components, conditional questions under radios, focus after
// htmx swaps, and keeping a session alive while someone types.
import {
  Button,
  CharacterCount,
  Checkboxes,
  createAll,
  ErrorSummary,
  NotificationBanner,
  PasswordInput,
  ServiceNavigation,
  SkipLink,
} from "./govuk/govuk-frontend.min.js";

// Every GOV.UK component we use except Radios. GOV.UK's Radios sets aria-expanded on radio inputs,
// which ARIA does not allow on a radio (axe: aria-allowed-attr); see docs/adr/0006-accessibility.md.
const COMPONENTS = [Button, CharacterCount, Checkboxes, ErrorSummary, NotificationBanner, PasswordInput, ServiceNavigation, SkipLink];

// Show the questions under the chosen radio and hide the others. The revealed questions follow their
// radio in the page, so keyboard and screen-reader users meet them next, as with GOV.UK's own script.
function initConditionalRadios(scope) {
  scope.querySelectorAll("input[type=radio][data-aria-controls]").forEach((input) => {
    input.setAttribute("aria-controls", input.getAttribute("data-aria-controls"));
    input.removeAttribute("data-aria-controls");
  });
  const sync = (form) => {
    form.querySelectorAll("input[type=radio][aria-controls]").forEach((input) => {
      const panel = document.getElementById(input.getAttribute("aria-controls"));
      if (panel) panel.classList.toggle("govuk-radios__conditional--hidden", !input.checked);
    });
  };
  scope.querySelectorAll("form").forEach((form) => {
    if (!form.querySelector("input[type=radio][aria-controls]")) return;
    sync(form);
    if (form.dataset.appRadios) return;
    form.dataset.appRadios = "1";
    form.addEventListener("change", (event) => {
      if (event.target.type === "radio") sync(form);
    });
  });
}

function init(scope) {
  // Components already started (after an htmx swap, those outside the swapped part) refuse to start
  // twice; that is expected, so such errors are not reported.
  for (const Component of COMPONENTS) createAll(Component, undefined, { scope, onError: () => {} });
  initConditionalRadios(scope);
}

init(document);

// After htmx replaces part of the page (person search), start the components in the new content and
// move focus to what changed: the error summary if there is one, else the results heading.
document.body.addEventListener("htmx:afterSwap", (event) => {
  init(document);
  const summary = document.querySelector(".govuk-error-summary");
  const heading = document.querySelector("#search-results h2");
  const target = summary || heading;
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
});

// While someone is typing, tell the server at most every few minutes, so that writing a long
// account of the concerns does not count as being idle. An unattended laptop still signs out.
const KEEP_ALIVE_EVERY_MS = 4 * 60 * 1000;
let lastKeepAlive = Date.now();
document.addEventListener("input", () => {
  if (Date.now() - lastKeepAlive < KEEP_ALIVE_EVERY_MS) return;
  lastKeepAlive = Date.now();
  fetch("/keep-alive/", { credentials: "same-origin", cache: "no-store" }).catch(() => {});
});
