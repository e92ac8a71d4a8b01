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
 *    Its text stays until the server's notice names the send as stored
 *    (#chat-notice[data-accepted]); a refusal (the server's, or ours: socket
 *    down, a reply in progress) keeps it and shows why ([data-composer-error]),
 *    until the text is edited. A draft is kept per chat in localStorage. While
 *    a turn runs the Send button gives way to Stop; Esc stops.
 *  - [data-copy] (a code block) and [data-copy-message] (an answer) copy to the
 *    clipboard; [data-edit] opens the last message's edit form.
 *  - [data-action] buttons dispatch a "calmchat:action" event ({action}); the
 *    button itself sends {"action": …} over the chat's socket (htmx ws-send
 *    with hx-vals, in the template).
 *  - time[data-local-time]: a message's time, rewritten in the browser's time
 *    zone (the server wrote UTC); data-local-time="time" is a clock time to the
 *    second (a provider's next try).
 *  - [data-provider-status][data-state=cooldown][data-until]: a provider status
 *    line whose cooldown ran out hides itself (the provider is ok again; the
 *    server sends no message for a deadline merely passing).
 *  - A fragment from the socket that replaces the element holding the focus
 *    (the model picker after a settings change) gives the focus back to its
 *    successor, so a screen reader does not land at the top of the page.
 *  - The composer takes the focus once the socket first opens, on devices with
 *    a keyboard and pointer (not on phones, whose keyboard would pop up).
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
    const parts = [text("[data-callout-title]"), text("[data-kind-pill]:not([data-pill-redundant])"),
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

  // The text stays in the box until the server says it stored it (the notice
  // it sends back names the request id); a refusal keeps it, with the reason.
  const pending = new WeakMap(); // composer form -> {id, text}

  function chatOf(el) { return el.closest ? el.closest("[data-chat]") : null; }

  function requestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function draftKey(form) {
    const chat = chatOf(form);
    return chat ? "calmchat:draft:" + chat.dataset.chat : null;
  }

  function saveDraft(form) {
    const key = draftKey(form);
    const box = form.querySelector("textarea[name=content]");
    if (!key || !box) return;
    try {
      if (box.value) localStorage.setItem(key, box.value);
      else localStorage.removeItem(key);
    } catch (e) { /* storage full or disabled: the box still holds the text */ }
  }

  function restoreDraft(form) {
    const key = draftKey(form);
    const box = form.querySelector("textarea[name=content]");
    if (!key || !box || box.value) return;
    try { box.value = localStorage.getItem(key) || ""; } catch (e) { /* no storage */ }
  }

  function turnActive(form) {
    const controls = form.querySelector("[data-turn-controls]");
    return Boolean(controls && controls.dataset.turnActive === "true");
  }

  function showNotice(el, code) {
    const chat = chatOf(el);
    const tpl = chat && chat.querySelector(`template[data-notice-template="${code}"]`);
    const notice = chat && chat.querySelector("#chat-notice");
    if (tpl && notice) notice.replaceWith(tpl.content.firstElementChild.cloneNode(true));
  }

  function clearRefusal(el) {
    const chat = chatOf(el);
    const notice = chat && chat.querySelector("#chat-notice[data-composer-error]");
    if (!notice) return;
    notice.hidden = true;
    notice.textContent = "";
    notice.removeAttribute("data-composer-error");
    notice.removeAttribute("data-notice-code");
  }

  function noticeArrived(notice) {
    const chat = chatOf(notice);
    const form = chat && chat.querySelector("[data-composer]");
    if (!form) return;
    const sent = pending.get(form);
    if (notice.dataset.accepted && sent && notice.dataset.accepted === sent.id) {
      const box = form.querySelector("textarea[name=content]");
      // Only what was sent goes: text typed since then stays.
      if (box && box.value === sent.text) box.value = "";
      saveDraft(form);
      pending.delete(form);
    } else if (notice.hasAttribute("data-composer-error")) {
      pending.delete(form);
    }
  }

  document.addEventListener("keydown", (event) => {
    const box = event.target.closest && event.target.closest(
      "[data-composer] textarea[name=content], [data-edit-form] textarea, textarea[data-enter-sends]");
    if (!box || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    if (box.value.trim()) box.form.requestSubmit();
  });

  // Esc stops a running turn (or closes an open edit of the last message).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const edit = event.target.closest && event.target.closest("[data-edit-form]");
    if (edit) {
      closeEdit(edit);
      return;
    }
    const stop = document.querySelector("[data-chat] [data-turn-stop]");
    if (stop) {
      event.preventDefault();
      stop.click();
    }
  });

  // Capture phase: runs before htmx's own submit handler on the form.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest && event.target.closest("[data-composer]");
    if (!form) return;
    const box = form.querySelector("textarea[name=content]");
    const refuse = (code) => {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (code) showNotice(form, code);
    };
    if (!box || !box.value.trim()) return refuse("");
    if (form.dataset.composerReady !== "true") return refuse(chatOf(form) ? "offline" : "");
    if (turnActive(form)) return refuse("busy");
    if (!form.hasAttribute("ws-send") && !form.getAttribute("action")) {
      event.preventDefault(); // a composer with nowhere to go (the gallery) stays put
      return;
    }
    pending.set(form, { id: null, text: box.value });
  }, true);

  // Every send and edit carries a request id, so one the extension repeats after
  // a reconnect is stored once; the server's answer names it.
  document.addEventListener("htmx:wsConfigSend", (event) => {
    const form = event.target.closest && event.target.closest("[data-composer], [data-edit-form]");
    if (!form) return;
    const id = requestId();
    event.detail.parameters.client_request_id = id;
    const sent = pending.get(form);
    if (sent && sent.id === null) sent.id = id;
  });

  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("[data-composer]");
    if (!form) return;
    saveDraft(form);
    clearRefusal(form);
  });

  document.addEventListener("htmx:wsOpen", (e) => {
    setComposerReady(true, e.target);
    const box = e.target.querySelector && e.target.querySelector("[data-composer] textarea[name=content]");
    if (box && !box.dataset.focused && window.matchMedia("(hover: hover) and (pointer: fine)").matches) {
      box.dataset.focused = "true";
      const active = document.activeElement;
      if (!active || active === document.body || active.matches("[data-chat-scroll], main")) {
        box.focus({ preventScroll: true });
      }
    }
  });
  document.addEventListener("htmx:wsClose", (e) => setComposerReady(false, e.target));

  // -- focus across swaps -------------------------------------------------------
  let focusedId = "";
  document.addEventListener("htmx:wsBeforeMessage", () => {
    const active = document.activeElement;
    focusedId = active && active !== document.body && active.id ? active.id : "";
  });
  document.addEventListener("htmx:wsAfterMessage", () => {
    const active = document.activeElement;
    if (!focusedId || (active && active !== document.body)) return;
    const again = document.getElementById(focusedId);
    focusedId = "";
    if (again) again.focus({ preventScroll: true });
  });

  // -- local times --------------------------------------------------------------
  function localTime(el) {
    const at = new Date(el.getAttribute("datetime") || "");
    if (Number.isNaN(at.getTime())) return;
    if (el.dataset.localTime === "time") {
      el.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
      return;
    }
    const today = new Date().toDateString() === at.toDateString();
    const options = today ? { hour: "2-digit", minute: "2-digit" }
      : { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
    el.textContent = at.toLocaleString([], options);
    el.title = at.toLocaleString([], { dateStyle: "full", timeStyle: "short" });
  }

  // -- provider status: a cooldown that ran out is over ------------------------
  function watchCooldown(el) {
    const until = Date.parse(el.dataset.until || "");
    if (Number.isNaN(until)) return;
    const wait = until - Date.now();
    if (wait <= 0) el.hidden = true;
    else schedule(el, () => { el.hidden = true; }, wait + 4);
  }

  // -- messages: copy, edit ---------------------------------------------------
  function copied(btn) {
    const label = btn.textContent;
    btn.textContent = "Copied";
    setTimeout(() => { btn.textContent = label; }, 1500);
  }

  function copy(btn, text) {
    if (!navigator.clipboard) return;
    navigator.clipboard.writeText(text).then(() => copied(btn), () => {});
  }

  function openEdit(btn) {
    const message = btn.closest("[data-message]");
    const form = message && message.querySelector("[data-edit-form]");
    if (!form) return;
    form.hidden = false;
    btn.setAttribute("aria-expanded", "true");
    const box = form.querySelector("textarea");
    if (box) { box.focus(); box.setSelectionRange(box.value.length, box.value.length); }
  }

  function closeEdit(form) {
    form.hidden = true;
    const btn = form.closest("[data-message]").querySelector("[data-edit]");
    if (btn) { btn.setAttribute("aria-expanded", "false"); btn.focus(); }
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest ? event.target : null;
    if (!target) return;
    const code = target.closest("[data-copy]");
    if (code) {
      const block = code.closest("[data-code-block]");
      const text = block && block.querySelector("code");
      if (text) copy(code, text.textContent);
      return;
    }
    const whole = target.closest("[data-copy-message]");
    if (whole) {
      const body = whole.closest("[data-message]").querySelector("[data-message-body]");
      if (body) copy(whole, body.innerText.trim());
      return;
    }
    const edit = target.closest("[data-edit]");
    if (edit) return openEdit(edit);
    const cancel = target.closest("[data-edit-cancel]");
    if (cancel) closeEdit(cancel.closest("[data-edit-form]"));
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
    each(scope, "#chat-notice", noticeArrived);
    each(scope, "time[data-local-time]", localTime);
    each(scope, "[data-countdown]", tickCountdown);
    each(scope, "[data-callout][data-phase=starting]", watchStart);
    each(scope, "[data-retry-now][data-not-before]", watchFloor);
    each(scope, "[data-provider-status][data-state=cooldown][data-until]", watchCooldown);
    document.querySelectorAll("[data-callout-region]").forEach(syncRegion);
  }

  function start() {
    document.querySelectorAll("[data-chat] [data-composer]").forEach(restoreDraft);
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
