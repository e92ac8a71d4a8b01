/*
 * Chat page glue for htmx's WebSocket extension (templates/chats/_chat.html,
 * and the sidebar's own socket on pages with no chat). Markup and prose come
 * from the server; components.js owns the countdown, the composer's enabled
 * state and the callout buttons. This file:
 *
 *  - reconnects a dropped socket itself, with a capped exponential backoff
 *    (1 s, 2 s, 4 s, ... at most 30 s, no jitter): the extension's own timer
 *    is parked (htmx.config.wsReconnectDelay), so "Reconnect now"
 *    ([data-reconnect-now] in the reconnecting callout) and the browser going
 *    back online reconnect at once instead of waiting the delay out;
 *  - shows the reconnecting callout (CalmChat.showReconnecting, attempt N,
 *    counting down to the real next attempt); on reconnect the server's
 *    snapshot replaces it;
 *  - shows the "closed" notice when the server refuses the socket for good
 *    (4401 signed out, 4403 not your chat; 4404: the chat was deleted, and the
 *    server already said so); a normal close (1000/1001/1005) shows nothing;
 *  - mirrors the socket state in [data-chat][data-socket]
 *    (connecting | open | reconnecting | closed);
 *  - keeps the newest message in view while the reader is at the end of the
 *    conversation ([data-chat-scroll]; a chat opens at its end), and once they
 *    scroll up offers "Jump to latest" ([data-jump-latest]) instead of pulling
 *    them down;
 *  - opens and closes the system prompt panel ([data-settings-toggle]) and
 *    keeps the document title in step with the chat's (#chat-title).
 */
(function () {
  "use strict";

  const BASE_MS = 1000;
  const CAP_MS = 30000;
  // The extension's own reconnect timer, never due: this file reconnects (setTimeout's maximum).
  const PARKED_MS = 2147483647;
  // The close codes after which the socket is reconnected.
  const RECONNECTS = [1006, 1011, 1012, 1013];
  // Closes that are not failures: leaving the page, htmx removing the element.
  const NORMAL = [1000, 1001, 1005];
  const GONE = 4404; // the chat was deleted; the server's notice says so
  const NEAR_END_PX = 80;

  const sockets = new WeakMap(); // host element -> {attempt, timer, wrapper}

  function backoff(retries) {
    return Math.min(BASE_MS * Math.pow(2, retries), CAP_MS);
  }

  htmx.config.wsReconnectDelay = function () { return PARKED_MS; };

  function hostOf(event) {
    return event.target && event.target.closest ? event.target.closest("[ws-connect]") : null;
  }

  function stateOf(host) {
    let state = sockets.get(host);
    if (!state) {
      state = { attempt: 0, timer: null, wrapper: null };
      sockets.set(host, state);
    }
    return state;
  }

  function reconnectNow(host) {
    const state = sockets.get(host);
    if (!state || !state.wrapper || host.dataset.socket !== "reconnecting") return;
    clearTimeout(state.timer);
    state.timer = null;
    state.wrapper.reconnect();
  }

  document.addEventListener("htmx:wsConnecting", (event) => {
    const host = hostOf(event);
    if (host && host.dataset.socket !== "reconnecting") host.dataset.socket = "connecting";
  });

  document.addEventListener("htmx:wsOpen", (event) => {
    const host = hostOf(event);
    if (!host) return;
    const state = stateOf(host);
    clearTimeout(state.timer);
    state.timer = null;
    state.attempt = 0;
    state.wrapper = event.detail.socketWrapper;
    host.dataset.socket = "open";
  });

  document.addEventListener("htmx:wsClose", (event) => {
    const host = hostOf(event);
    if (!host) return;
    const state = stateOf(host);
    state.wrapper = event.detail.socketWrapper || state.wrapper;
    const code = event.detail && event.detail.event ? event.detail.event.code : 0;
    const chat = host.matches("[data-chat]") ? host : null;
    if (RECONNECTS.indexOf(code) >= 0) {
      const delay = backoff(state.attempt);
      state.attempt += 1;
      host.dataset.socket = "reconnecting";
      clearTimeout(state.timer);
      state.timer = setTimeout(() => reconnectNow(host), delay);
      const region = chat && chat.querySelector("[data-callout-region]");
      if (region) {
        const deadline = new Date(Date.now() + delay).toISOString();
        window.CalmChat.showReconnecting(region, { attempt: state.attempt, deadline });
      }
    } else if (NORMAL.indexOf(code) < 0) {
      host.dataset.socket = "closed";
      clearTimeout(state.timer);
      if (!chat || code === GONE) return;
      const notice = chat.querySelector("#chat-notice");
      const closed = chat.querySelector("template[data-notice-template=closed]");
      if (notice && closed) notice.replaceWith(closed.content.firstElementChild.cloneNode(true));
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-reconnect-now]");
    if (!button) return;
    const host = button.closest("[ws-connect]");
    if (host) reconnectNow(host);
  });

  // The network is back: do not wait out the backoff.
  window.addEventListener("online", () => {
    document.querySelectorAll("[ws-connect][data-socket=reconnecting]").forEach(reconnectNow);
  });

  // -- following the conversation ------------------------------------------------
  function follow(chat) {
    const scroller = chat.querySelector("[data-chat-scroll]");
    const jump = chat.querySelector("[data-jump-latest]");
    const column = scroller && scroller.firstElementChild;
    if (!scroller || !column) return;
    let atEnd = true;
    let jumping = null; // a smooth scroll to the end in progress (its fallback timer)
    const distance = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    const landed = () => {
      clearTimeout(jumping);
      jumping = null;
      atEnd = true;
      toEnd(false); // the answer may have grown while we scrolled
    };
    const toEnd = (smooth) => {
      const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth && !reduce ? "smooth" : "auto" });
    };
    const showJump = (show) => { if (jump) jump.hidden = !show; };
    toEnd(false);
    scroller.addEventListener("scroll", () => {
      if (jumping) return;
      atEnd = distance() <= NEAR_END_PX;
      if (atEnd) showJump(false);
    }, { passive: true });
    scroller.addEventListener("scrollend", () => { if (jumping) landed(); });
    // Text arriving grows the column; a notice or the settings panel shrinks the view.
    const resized = new ResizeObserver(() => {
      if (jumping) return;
      if (atEnd) toEnd(false);
      else if (distance() > NEAR_END_PX) showJump(true);
    });
    resized.observe(column);
    resized.observe(scroller);
    if (jump) {
      jump.addEventListener("click", () => {
        atEnd = true;
        showJump(false);
        clearTimeout(jumping);
        jumping = setTimeout(landed, 1000); // browsers without "scrollend"
        toEnd(true);
        // The button is gone: the composer is where a reader goes next.
        const box = chat.querySelector("[data-composer] textarea[name=content]");
        if (box) box.focus({ preventScroll: true });
      });
    }
    // Sending means reading the answer: follow it again.
    chat.addEventListener("submit", (event) => {
      if (event.target.closest("[data-composer]")) {
        atEnd = true;
        showJump(false);
        toEnd(false);
      }
    });
  }

  // -- the system prompt panel ---------------------------------------------------
  function settingsPanel(toggle) {
    return document.getElementById(toggle.getAttribute("aria-controls"));
  }

  function setSettings(open) {
    const toggle = document.querySelector("[data-settings-toggle]");
    const panel = toggle && settingsPanel(toggle);
    if (!panel) return;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      const box = panel.querySelector("[data-system-prompt]");
      if (box) box.focus();
    } else {
      toggle.focus();
    }
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest ? event.target : null;
    if (!target) return;
    const toggle = target.closest("[data-settings-toggle]");
    if (toggle) {
      const panel = settingsPanel(toggle);
      setSettings(Boolean(panel && panel.hidden));
    } else if (target.closest("[data-settings-close]")) {
      setSettings(false);
    }
  });

  // A saved prompt closes the panel; a swapped toggle tells the truth about it.
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target.closest && event.target.closest("[data-system-prompt-form]");
    if (form && event.detail.successful) setSettings(false);
  });
  document.addEventListener("htmx:wsAfterMessage", () => {
    const toggle = document.querySelector("[data-settings-toggle]");
    const panel = toggle && settingsPanel(toggle);
    if (panel) toggle.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !event.target.closest) return;
    if (event.target.closest("[data-chat-settings]")) {
      event.preventDefault();
      event.stopPropagation();
      setSettings(false);
    }
  }, true);

  function start() {
    document.querySelectorAll("[data-chat]").forEach(follow);
    const title = document.getElementById("chat-title");
    if (title) {
      new MutationObserver(() => {
        const now = document.getElementById("chat-title");
        if (now) document.title = now.textContent.trim() + " · Calm Chat";
      }).observe(title.parentElement, { childList: true, subtree: true, characterData: true });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
