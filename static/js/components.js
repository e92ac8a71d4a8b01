/*
 * Calm Chat component behaviour: the little that htmx cannot do. Plain JS, no
 * build step; it works on server-rendered markup and on fragments htmx swaps in
 * later (a MutationObserver picks them up). Markup and prose come from the
 * server (templates/components/); this file only counts and toggles.
 *
 *  - [data-countdown][data-deadline]: "Retrying in Ns" ticks on the real second
 *    (each flip is scheduled for the moment the rounded-up value changes) and
 *    is hidden at 0. It is outside every live region, so ticks are not read out.
 *  - [data-callout][data-phase=starting]: after data-delayed-after seconds since
 *    data-started-at the title becomes data-delayed-title.
 *  - [data-retry-now][data-not-before]: "Retry now" stays disabled until the
 *    provider's Retry-After floor has passed.
 *  - [data-callout-region]: its polite live region ([data-callout-announcer])
 *    gets one sentence per state change (title, kind, message, attempt).
 *  - [data-composer]: Enter sends, Shift+Enter adds a line; disabled until the
 *    websocket is open (htmx:wsOpen / htmx:wsClose, or CalmChat.setComposerReady).
 *  - [data-action] buttons dispatch a "calmchat:action" event ({action}); the
 *    button itself sends {"action": …} over the chat's socket (htmx ws-send
 *    with hx-vals, in the template).
 *
 * Public API: window.CalmChat = {refresh, setComposerReady, showReconnecting,
 * clearCallout}.
 */
(function () {
  "use strict";

  const timers = new WeakMap();

  function schedule(el, fn, delay) {
    clearTimeout(timers.get(el));
    timers.set(el, setTimeout(fn, Math.max(0, delay)));
  }

  function each(root, selector, fn) {
    if (root.nodeType !== 1 && root.nodeType !== 9) return;
    if (root.nodeType === 1 && root.matches(selector)) fn(root);
    root.querySelectorAll(selector).forEach(fn);
  }

  // -- countdown ------------------------------------------------------------
  function tickCountdown(el) {
    if (!el.isConnected) return;
    const deadline = Date.parse(el.dataset.deadline || "");
    const left = Number.isNaN(deadline) ? 0 : deadline - Date.now();
    const seconds = Math.ceil(left / 1000);
    if (seconds <= 0) {
      el.hidden = true;
      return;
    }
    const out = el.querySelector("[data-countdown-seconds]");
    if (out && out.textContent !== String(seconds)) out.textContent = String(seconds);
    el.hidden = false;
    // Wake just after `left` crosses the next whole second, so the text flips
    // within a few milliseconds of the real second rather than drifting.
    schedule(el, () => tickCountdown(el), left - (seconds - 1) * 1000 + 4);
  }

  // -- delayed start ----------------------------------------------------------
  function watchStart(el) {
    const started = Date.parse(el.dataset.startedAt || "");
    if (Number.isNaN(started) || el.dataset.delayed === "true") return;
    const wait = started + Number(el.dataset.delayedAfter || 15) * 1000 - Date.now();
    const flip = () => {
      const title = el.querySelector("[data-callout-title]");
      if (title && el.dataset.delayedTitle) title.textContent = el.dataset.delayedTitle;
      el.dataset.delayed = "true";
    };
    if (wait <= 0) flip();
    else schedule(el, flip, wait);
  }

  // -- Retry now floor --------------------------------------------------------
  function watchFloor(btn) {
    const floor = Date.parse(btn.dataset.notBefore || "");
    if (Number.isNaN(floor)) return;
    const wait = floor - Date.now();
    btn.disabled = wait > 0;
    if (wait > 0) schedule(btn, () => { btn.disabled = false; }, wait + 4);
  }

  // -- announcements ----------------------------------------------------------
  function summary(callout) {
    if (!callout) return "";
    const text = (sel) => {
      const el = callout.querySelector(sel);
      return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
    };
    const parts = [text("[data-callout-title]"), text("[data-kind-pill]"),
      text("[data-callout-message]"), text("[data-attempt]")];
    const said = parts.filter(Boolean).map((p) => p.replace(/\.$/, ""));
    return said.length ? said.join(". ") + "." : "";
  }

  function syncRegion(region) {
    const announcer = region.querySelector("[data-callout-announcer]");
    if (!announcer) return;
    const now = summary(region.querySelector("[data-callout-slot] [data-callout]"));
    if (region.dataset.announced === undefined) {
      // First sight: the server already rendered the current state's sentence.
      region.dataset.announced = now;
      return;
    }
    if (now === region.dataset.announced) return;
    region.dataset.announced = now;
    // Clearing is silent; a new sentence is read out once.
    announcer.textContent = now;
  }

  // -- focus: an update never moves focus, but restores it if it removed it ---
  let lastAction = null;
  document.addEventListener("focusin", (event) => {
    const btn = event.target.closest && event.target.closest("[data-callout] [data-action]");
    lastAction = btn ? { el: btn, action: btn.dataset.action } : null;
  });

  function restoreFocus() {
    if (!lastAction || lastAction.el.isConnected) return;
    const active = document.activeElement;
    if (active && active !== document.body) return;
    const again = document.querySelector(
      `[data-callout] [data-action="${lastAction.action}"]:not([disabled])`);
    lastAction = null;
    if (again) again.focus({ preventScroll: true });
  }

  // -- composer ---------------------------------------------------------------
  function setComposerReady(ready, root) {
    each(root || document, "[data-composer]", (form) => {
      form.dataset.composerReady = ready ? "true" : "false";
      const send = form.querySelector("[data-composer-send]");
      if (send) send.disabled = !ready;
      // The box is only locked before the first open; while reconnecting the
      // user may keep typing (disabling it would also drop their focus).
      const box = form.querySelector("textarea[name=content]");
      if (box && ready) box.disabled = false;
    });
  }

  document.addEventListener("keydown", (event) => {
    const box = event.target.closest && event.target.closest("[data-composer] textarea[name=content]");
    if (!box || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    if (box.form.dataset.composerReady === "true" && box.value.trim()) box.form.requestSubmit();
  });

  // Capture phase: runs before htmx's own submit handler on the form.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest && event.target.closest("[data-composer]");
    if (!form) return;
    const box = form.querySelector("textarea[name=content]");
    if (form.dataset.composerReady !== "true" || !box || !box.value.trim()) {
      event.preventDefault();
      event.stopImmediatePropagation();
    } else if (!form.hasAttribute("ws-send") && !form.getAttribute("action")) {
      event.preventDefault(); // a composer with nowhere to go (the gallery) stays put
    }
  }, true);

  document.addEventListener("htmx:wsOpen", (e) => setComposerReady(true, e.target));
  document.addEventListener("htmx:wsClose", (e) => setComposerReady(false, e.target));
  document.addEventListener("htmx:wsAfterSend", (e) => {
    const form = e.target.closest && e.target.closest("[data-composer]");
    const box = form && form.querySelector("textarea[name=content]");
    if (box) box.value = "";
  });

  // -- actions: htmx sends them (ws-send); this only tells listeners ---------
  document.addEventListener("click", (event) => {
    const btn = event.target.closest && event.target.closest("[data-callout] [data-action]");
    if (!btn || btn.disabled) return;
    btn.dispatchEvent(new CustomEvent("calmchat:action",
      { bubbles: true, detail: { action: btn.dataset.action } }));
  });

  // -- reconnecting callout (the server cannot send it: the socket is down) ---
  function showReconnecting(region, state) {
    const tpl = region.querySelector("template[data-callout-template=reconnecting]");
    const slot = region.querySelector("[data-callout-slot]");
    if (!tpl || !slot) return;
    const callout = tpl.content.firstElementChild.cloneNode(true);
    const attempt = callout.querySelector("[data-attempt]");
    if (attempt) {
      attempt.dataset.attempt = String(state.attempt);
      attempt.textContent = "Attempt " + state.attempt;
    }
    const countdown = callout.querySelector("[data-countdown]");
    if (countdown) countdown.dataset.deadline = state.deadline;
    slot.replaceChildren(callout);
  }

  function clearCallout(region) {
    const slot = region.querySelector("[data-callout-slot]");
    if (slot) slot.replaceChildren();
  }

  // -- wiring -----------------------------------------------------------------
  function refresh(root) {
    const scope = root || document;
    each(scope, "[data-countdown]", tickCountdown);
    each(scope, "[data-callout][data-phase=starting]", watchStart);
    each(scope, "[data-retry-now][data-not-before]", watchFloor);
    document.querySelectorAll("[data-callout-region]").forEach(syncRegion);
  }

  function start() {
    refresh(document);
    new MutationObserver((records) => {
      for (const record of records) record.addedNodes.forEach((node) => {
        if (node.nodeType === 1) refresh(node);
      });
      document.querySelectorAll("[data-callout-region]").forEach(syncRegion);
      restoreFocus();
    }).observe(document.body, { childList: true, subtree: true });
  }

  window.CalmChat = { refresh, setComposerReady, showReconnecting, clearCallout };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
