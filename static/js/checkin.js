// The check-in desk and room mode: scan without reloading, undo, search as you
// type, the camera, live numbers, and an offline queue that replays scans with
// their original time and nonce when the network is back. Without JavaScript
// the same forms post and the page reloads with the answer.

import { cameraAvailable, startCamera } from "./camera.js";
import { ScanQueue, newNonce } from "./scan-queue.js";

const QUEUE_KEY = "summit.checkin.queue";
const ICONS = { success: "✓", warning: "!", danger: "✕", queued: "…", info: "i" };

class Refused extends Error {} // the server answered and said no: do not retry
class Retry extends Error {} // no answer we can trust: keep the scan queued

const root = document.getElementById("checkin");
if (root) init(root);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== "") node.append(child);
  }
  return node;
}

function init(root) {
  const cfg = root.dataset;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const sessionId = cfg.sessionId ? Number(cfg.sessionId) : null;
  const answerEl = document.getElementById("answer");
  const networkEl = document.getElementById("network-status");
  const logEl = document.getElementById("scan-log");
  const codeInput = document.getElementById("scan-code");
  const queue = new ScanQueue(QUEUE_KEY);
  const inflight = new Set();
  let flushing = false;
  let authProblem = false;

  // A handheld scanner is a keyboard: it types into whatever has focus. So after
  // every action (undo, a check-in from the search results or the roster) focus goes
  // back to the code field, or the next scan would be typed nowhere and lost. After
  // a tap on a touch screen the field is focused without popping up the on-screen
  // keyboard over the answer (inputmode "none", until someone taps the field).
  let lastPointer = "mouse";
  document.addEventListener("pointerdown", (event) => {
    lastPointer = event.pointerType;
  }, { capture: true });
  document.addEventListener("keydown", () => {
    lastPointer = "keyboard";
  }, { capture: true });
  codeInput.addEventListener("pointerdown", () => {
    if (codeInput.inputMode === "none") {
      codeInput.inputMode = "text";
      codeInput.blur(); // the tap focuses it again, now with the keyboard
    }
  });
  function refocus() {
    codeInput.inputMode = lastPointer === "touch" ? "none" : "text";
    codeInput.focus();
  }

  async function send(item, live) {
    const body = { ...item.body, nonce: item.nonce };
    if (!live) body.scanned_at = item.scanned_at;
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf,
        },
        body: JSON.stringify(body),
      });
    } catch {
      throw new Retry("network");
    }
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json") || response.redirected) {
      authProblem = true;
      throw new Retry("auth");
    }
    const data = await response.json();
    if (response.ok) {
      authProblem = false;
      return data;
    }
    if ([404, 409, 422].includes(response.status)) {
      throw new Refused(data.error?.message || "The scan was refused.");
    }
    if ([400, 401, 403].includes(response.status)) authProblem = true;
    throw new Retry(data.error?.message || "server");
  }

  function showAnswer(answer) {
    const tone = answer.tone || "info";
    answerEl.className = `answer answer-${tone}`;
    const parts = [
      el("p", { class: "answer-title" }, el("span", { class: "answer-icon", "aria-hidden": "true" }, ICONS[tone] || ""), " ", answer.message),
    ];
    if (answer.name) {
      parts.push(el("p", { class: "answer-person" }, answer.agency ? `${answer.name} · ${answer.agency}` : answer.name));
    }
    if (answer.tier) parts.push(el("p", { class: "answer-detail" }, answer.tier));
    if (answer.detail) parts.push(el("p", { class: "answer-detail" }, answer.detail));
    if (answer.undoable && answer.nonce) {
      const button = el("button", { type: "button", class: "btn btn-light btn-lg" }, "Undo this check-in");
      button.addEventListener("click", () => {
        refocus(); // the answer, this button with it, is about to be redrawn
        undo(answer);
      });
      const actions = el("div", { class: "answer-undo d-flex flex-wrap gap-2" }, button);
      if (answer.badge_url) {
        actions.append(el("a", { class: "btn btn-outline-light btn-lg", href: answer.badge_url, target: "_blank", rel: "noopener" }, "Print badge"));
      }
      parts.push(actions);
    }
    answerEl.replaceChildren(...parts);
    if (answer.counts) updateCounts(answer.counts);
  }

  function log(text, tone) {
    const time = new Date().toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: cfg.timezone || undefined, // the event's clock, as in the answers
    });
    logEl.prepend(el("li", { class: `scan-log-${tone}` }, `${time} ${text}`));
    while (logEl.children.length > 12) logEl.lastElementChild.remove();
  }

  function describe(answer) {
    return answer.name ? `${answer.message}: ${answer.name}` : answer.message;
  }

  function updateNetwork() {
    const waiting = queue.size;
    const offline = !navigator.onLine;
    let text = "";
    if (authProblem && waiting) {
      text = `${waiting} scan${waiting === 1 ? "" : "s"} kept on this device: sign in again (in another tab) and they will be sent.`;
    } else if (waiting) {
      text = `Offline: ${waiting} scan${waiting === 1 ? "" : "s"} queued on this device. They are sent automatically when the network is back.`;
    } else if (offline) {
      text = "Offline: scans are kept on this device and sent when the network is back.";
    }
    networkEl.hidden = !text;
    networkEl.textContent = text;
  }

  async function scan(code, source, extra = {}) {
    code = (code || "").trim();
    if (!code) return null;
    const direction = root.querySelector('input[name="direction"]:checked')?.value || "in";
    const item = {
      url: cfg.scanUrl,
      nonce: newNonce(),
      scanned_at: new Date().toISOString(),
      body: { code, source, session_id: sessionId, direction, ...extra },
    };
    queue.add(item); // kept before sending: a reload or a lost answer loses nothing
    inflight.add(item.nonce);
    try {
      const answer = await send(item, true);
      queue.remove(item.nonce);
      showAnswer(answer);
      markPresent(code, answer);
      log(describe(answer), answer.tone);
      return answer;
    } catch (error) {
      if (error instanceof Refused) {
        queue.remove(item.nonce);
        showAnswer({ tone: "danger", message: error.message });
        log(error.message, "danger");
        return null;
      }
      showAnswer({
        tone: "queued",
        message: "Queued: no network",
        detail: `Ticket …${code.slice(-6).toUpperCase()} will be checked when the network is back.`,
      });
      log(`Queued …${code.slice(-6).toUpperCase()}`, "queued");
      return null;
    } finally {
      inflight.delete(item.nonce);
      updateNetwork();
    }
  }

  async function flush() {
    if (flushing || !queue.size) return;
    flushing = true;
    try {
      for (const item of queue.items()) {
        if (inflight.has(item.nonce)) continue;
        try {
          const answer = await send(item, false);
          queue.remove(item.nonce);
          log(`Sent after reconnecting: ${describe(answer)}`, answer.tone);
          if (answer.counts) updateCounts(answer.counts);
        } catch (error) {
          if (!(error instanceof Refused)) break;
          queue.remove(item.nonce);
          log(`Sent after reconnecting, refused: ${error.message}`, "danger");
        }
      }
    } finally {
      flushing = false;
      updateNetwork();
    }
  }

  async function undo(answer) {
    try {
      const response = await fetch(cfg.undoUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ nonce: answer.nonce }),
      });
      const data = await response.json();
      if (!response.ok) throw new Error(data.error?.message || "Undo failed.");
      showAnswer({ tone: "info", message: data.message, counts: data.counts });
      log(data.message, "info");
    } catch (error) {
      showAnswer({ ...answer, tone: "danger", message: `Not undone: ${navigator.onLine ? error.message : "no network, try again"}`, undoable: true });
    }
  }

  function updateCounts(counts) {
    for (const node of root.querySelectorAll("[data-live]")) {
      const value = counts[node.dataset.live];
      if (value !== undefined) node.textContent = value;
    }
    for (const session of counts.sessions || []) {
      for (const node of root.querySelectorAll(`[data-live-session="${session.id}"]`)) {
        node.textContent = session.count;
      }
    }
  }

  async function poll() {
    if (document.hidden || !navigator.onLine) return;
    try {
      const response = await fetch(cfg.liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
        updateCounts(await response.json());
      }
    } catch {
      // the next poll will try again
    }
  }

  // The scanner field: a handheld scanner types the code and presses Enter.
  document.getElementById("scan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = codeInput.value;
    codeInput.value = "";
    codeInput.focus();
    await scan(code, "scanner");
  });

  // Search as you type; each result checks in by its ticket code.
  const searchInput = document.getElementById("search-q");
  const results = document.getElementById("search-results");
  let searchTimer = null;
  let searchSeq = 0;
  async function search() {
    const query = searchInput.value.trim();
    const seq = ++searchSeq;
    if (query.length < 2) {
      results.replaceChildren();
      return;
    }
    const url = new URL(cfg.searchUrl, window.location.href);
    url.searchParams.set("q", query);
    if (sessionId) url.searchParams.set("session_id", sessionId);
    let data;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      data = await response.json();
    } catch {
      results.replaceChildren(el("li", { class: "list-group-item" }, "Search needs the network. Scanning still works."));
      return;
    }
    if (seq !== searchSeq) return;
    if (!data.items.length) {
      results.replaceChildren(el("li", { class: "list-group-item" }, `Nobody matches “${query}”.`));
      return;
    }
    results.replaceChildren(
      ...data.items.map((item) => {
        const button = el("button", { type: "button", class: "btn btn-primary" }, "Check in", el("span", { class: "visually-hidden" }, `: ${item.name}`));
        button.addEventListener("click", async () => {
          refocus(); // the results are redrawn after the answer, this button with them
          const answer = await scan(item.code, "search");
          if (answer) search();
        });
        return el(
          "li",
          { class: "list-group-item d-flex flex-wrap align-items-center gap-2" },
          el(
            "div",
            { class: "flex-grow-1" },
            el("strong", {}, item.name),
            el("br"),
            el("span", { class: "small text-body-secondary" }, [item.agency, item.email].filter(Boolean).join(" · ")),
            el("br"),
            el("span", { class: `badge ${item.state_badge}` }, item.state_label),
            item.checked_in_at ? " " : "",
            item.checked_in_at ? el("span", { class: "badge text-bg-warning" }, `In since ${item.checked_in_at}`) : "",
          ),
          button,
          item.payment_url
            ? el("a", { class: "btn btn-outline-primary", href: item.payment_url }, "Take payment", el("span", { class: "visually-hidden" }, `: ${item.name}`))
            : "",
        );
      }),
    );
  }
  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });

  // Room mode: the button says whether it checks in or out.
  const directionLabel = root.querySelector("[data-direction-label]");
  for (const radio of root.querySelectorAll('input[name="direction"]')) {
    radio.addEventListener("change", () => {
      if (directionLabel) directionLabel.textContent = radio.value;
      refocus();
    });
  }

  // Roster ticks in room mode; any scan into the session ticks its roster row too.
  function markPresent(code, answer) {
    const present = answer.status === "ok" || answer.status === "already_checked_in";
    if (!sessionId || !present || answer.direction === "out") return;
    const normal = code.replace(/[\s-]+/g, "").toUpperCase();
    const row = root.querySelector(`[data-roster-code="${CSS.escape(normal)}"]`);
    const form = row?.querySelector("form.roster-tick");
    if (form) form.replaceWith(el("span", { class: "badge text-bg-success roster-present" }, "Present"));
  }
  for (const form of root.querySelectorAll("form.roster-tick")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      refocus(); // a ticked row's button turns into a "Present" badge
      scan(form.elements.code.value, "roster");
    });
  }

  // The camera.
  const cameraButton = document.getElementById("camera-toggle");
  const cameraStatus = document.getElementById("camera-status");
  const video = document.getElementById("camera-video");
  let stopCamera = null;
  if (cameraAvailable()) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", async () => {
      if (stopCamera) {
        stopCamera();
        stopCamera = null;
        cameraButton.textContent = "Scan with the camera";
        return;
      }
      try {
        stopCamera = await startCamera(video, (code) => scan(code, "camera"), { jsqrUrl: cfg.jsqrUrl });
        cameraButton.textContent = "Stop the camera";
        cameraStatus.textContent = "Point the camera at the ticket's QR code.";
        // On a phone: the preview at the top of the screen, the answer right under it.
        if (window.matchMedia("(max-width: 575.98px)").matches) cameraButton.scrollIntoView({ block: "start", behavior: "instant" });
      } catch (error) {
        cameraStatus.textContent = `The camera cannot be used: ${error.message}`;
      }
    });
  } else if (!cameraStatus.textContent.trim()) {
    cameraStatus.textContent = "This browser offers no camera here (the camera needs HTTPS).";
  }

  window.addEventListener("online", () => {
    updateNetwork();
    flush();
  });
  window.addEventListener("offline", updateNetwork);
  setInterval(flush, 5000);
  setInterval(poll, Number(cfg.pollSeconds || 5) * 1000);
  updateNetwork();
  flush();
}
