/*
 * Chat page glue for htmx's WebSocket extension (templates/chats/_chat.html).
 * Markup and prose come from the server; components.js owns the countdown,
 * the composer's enabled state and the callout buttons. This file only:
 *
 *  - sets htmx.config.wsReconnectDelay to a capped exponential backoff
 *    (1 s, 2 s, 4 s, ... at most 30 s, no jitter) and remembers the delay the
 *    extension chose, so the "Reconnecting in Ns" countdown is the real one;
 *  - shows the reconnecting callout (CalmChat.showReconnecting, attempt N)
 *    when the socket drops; on reconnect the server's snapshot replaces it;
 *  - shows the "closed" notice when the server refuses the socket for good
 *    (4401 signed out, 4403 not your chat): the extension does not retry then
 *    (a normal close, 1000/1001/1005, e.g. leaving the page, shows nothing);
 *  - mirrors the socket state in [data-chat][data-socket]
 *    (connecting | open | reconnecting | closed).
 */
(function () {
  "use strict";

  const BASE_MS = 1000;
  const CAP_MS = 30000;
  // The close codes after which htmx's ws extension reconnects by itself.
  const RECONNECTS = [1006, 1011, 1012, 1013];
  // Closes that are not failures: leaving the page, htmx removing the element.
  const NORMAL = [1000, 1001, 1005];
  let planned = null; // {attempt, delay}: the reconnect the extension just scheduled

  function backoff(retries) {
    return Math.min(BASE_MS * Math.pow(2, retries), CAP_MS);
  }

  // Called by the extension in its onclose handler, just before htmx:wsClose.
  htmx.config.wsReconnectDelay = function (retries) {
    const delay = backoff(retries);
    planned = { attempt: retries + 1, delay: delay };
    return delay;
  };

  function chatOf(event) {
    return event.target && event.target.closest ? event.target.closest("[data-chat]") : null;
  }

  document.addEventListener("htmx:wsConnecting", (event) => {
    const chat = chatOf(event);
    if (chat && chat.dataset.socket !== "reconnecting") chat.dataset.socket = "connecting";
  });

  document.addEventListener("htmx:wsOpen", (event) => {
    const chat = chatOf(event);
    if (chat) chat.dataset.socket = "open";
  });

  document.addEventListener("htmx:wsClose", (event) => {
    const chat = chatOf(event);
    if (!chat) return;
    const code = event.detail && event.detail.event ? event.detail.event.code : 0;
    const region = chat.querySelector("[data-callout-region]");
    if (RECONNECTS.indexOf(code) >= 0 && planned) {
      chat.dataset.socket = "reconnecting";
      const deadline = new Date(Date.now() + planned.delay).toISOString();
      if (region) window.CalmChat.showReconnecting(region, { attempt: planned.attempt, deadline });
    } else if (NORMAL.indexOf(code) < 0) {
      chat.dataset.socket = "closed";
      const notice = chat.querySelector("#chat-notice");
      const closed = chat.querySelector("template[data-notice-template=closed]");
      if (notice && closed) notice.replaceWith(closed.content.firstElementChild.cloneNode(true));
    }
    planned = null;
  });
})();
