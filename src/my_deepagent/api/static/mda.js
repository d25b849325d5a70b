// What every page of the web GUI shares: DOM building (createElement and
// textContent only, never HTML strings), the API client with its token, the
// server-sent event reader, and the one-line error and notice elements.

const TOKEN_KEY = "mda.api_token";
const RECONNECT_MS = 1000;

// --- DOM ---------------------------------------------------------------------

/** `el("a", {href: "/x", className: "y"}, "text", child)`: an element, its
 * properties or attributes, and its children (strings become text nodes). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className" || key === "textContent" || key === "value" || key === "checked") {
      node[key] = value;
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace every child of `node` with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function show(node, visible) {
  node.hidden = !visible;
}

/** A state as a small coloured badge (`state-completed`, ...). */
export function badge(state, id) {
  return el("span", { className: `badge state-${state}`, id }, state.replaceAll("_", " "));
}

export function shortId(id) {
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** An ISO time as the reader's local date and time, to the second. */
export function when(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return at.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

export function number(n) {
  return Number(n || 0).toLocaleString("en");
}

export function plural(n, one, many) {
  return `${number(n)} ${n === 1 ? one : many}`;
}

/** A URL query parameter of this page. */
export function param(name) {
  return new URLSearchParams(window.location.search).get(name);
}

// --- errors and notices ------------------------------------------------------

/** Show `problem` (an Error or a sentence) as the page's one error line
 * (role="alert"); null hides it. A lost connection clears itself once the server
 * answers again. */
export function showError(problem) {
  const line = $("error");
  if (!line) return;
  const text = !problem ? "" : typeof problem === "string" ? problem : problem.message || String(problem);
  line.textContent = text.split(/\s*\n\s*/).join(" ");
  line.dataset.kind = problem instanceof ApiError && problem.status === 0 ? "connection" : "";
  show(line, Boolean(text));
}

function answered() {
  const line = $("error");
  if (line && line.dataset.kind === "connection") showError(null);
}

/** Show `message` as the page's status line (what an action did). */
export function showNotice(message) {
  const line = $("notice");
  if (!line) return;
  line.textContent = message ? String(message) : "";
  show(line, Boolean(message));
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- the token -----------------------------------------------------------------

let asking = null;

function storedToken() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

function keepToken(token) {
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // private mode without storage: the token lasts as long as the page
  }
  memoryToken = token;
}

let memoryToken = "";

function token() {
  return storedToken() || memoryToken;
}

/** Ask for the API token with a small form at the top of the page, once however
 * many requests were refused at the same time; resolves with the token typed. */
function askForToken(wrong) {
  if (asking) return asking;
  asking = new Promise((resolve) => {
    const input = el("input", {
      id: "token-input", type: "password", autocomplete: "current-password",
      required: true, "aria-describedby": "token-help",
    });
    const form = el(
      "form",
      { id: "token-form", className: "card token-form" },
      el("h2", {}, "API token"),
      el(
        "p",
        { id: "token-help" },
        wrong
          ? "That token was refused. Enter the token of this server (MDA_API_TOKEN)."
          : "This server needs its API token (MDA_API_TOKEN). It is kept for this tab only.",
      ),
      el("label", { for: "token-input" }, "Token"),
      input,
      el("button", { id: "token-submit", type: "submit", className: "primary" }, "Use this token"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const given = input.value.trim();
      if (!given) return;
      keepToken(given);
      form.remove();
      asking = null;
      resolve(given);
    });
    const main = document.querySelector("main") || document.body;
    main.prepend(form);
    input.focus();
  });
  return asking;
}

function headers(extra = {}) {
  const found = { ...extra };
  const current = token();
  if (current) found.Authorization = `Bearer ${current}`;
  return found;
}

async function problem(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return body.error;
  } catch {
    // not JSON: say the status
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}

/** fetch() with the token; on 401 asks for the token and tries again. */
async function authorized(path, init = {}) {
  let wrong = false;
  for (;;) {
    const response = await fetch(path, { ...init, headers: headers(init.headers), cache: "no-store" });
    if (response.status !== 401) return response;
    await askForToken(wrong || Boolean(token()));
    wrong = true;
  }
}

/** Call the API: GET without `body`, POST (JSON) with it; the parsed JSON answer,
 * or an ApiError with the server's one line. `{text: true}` reads text instead. */
export async function api(path, { body, method, text = false } = {}) {
  const init = { method: method || (body === undefined ? "GET" : "POST") };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await authorized(path, init);
  } catch (error) {
    throw new ApiError(0, `cannot reach the server (${error.message || error})`);
  }
  answered();
  if (!response.ok) throw new ApiError(response.status, await problem(response));
  return text ? response.text() : response.json();
}

// --- server-sent events ------------------------------------------------------

/** Read the SSE stream at `path` with fetch(), so the token travels as a header.
 * `onEvent(name, data, id)` gets each message, data parsed as JSON. Reconnects
 * after a dropped connection with Last-Event-ID; stops after `event: end` or
 * when the returned `stop()` is called. */
export function stream(path, onEvent, { onState } = {}) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let retryMs = RECONNECT_MS;

  const state = (what) => onState && onState(what);

  function dispatch(fields) {
    if (fields.id !== undefined) lastId = fields.id;
    if (fields.retry !== undefined && /^\d+$/.test(fields.retry)) retryMs = Number(fields.retry);
    if (fields.data === undefined) return false;
    let data = fields.data;
    try {
      data = JSON.parse(fields.data);
    } catch {
      // not JSON: pass the text on
    }
    const name = fields.event || "message";
    onEvent(name, data, fields.id !== undefined ? fields.id : lastId);
    return name === "end";
  }

  async function readOnce() {
    controller = new AbortController();
    const extra = { Accept: "text/event-stream" };
    if (lastId !== null) extra["Last-Event-ID"] = lastId;
    const response = await authorized(path, { headers: extra, signal: controller.signal });
    if (!response.ok) throw new ApiError(response.status, await problem(response));
    state("live");
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let fields = {};
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, cut);
        buffer = buffer.slice(cut + (buffer.startsWith("\r\n", cut) ? 2 : 1));
        if (line === "") {
          const ended = dispatch(fields);
          fields = {};
          if (ended) {
            controller.abort();
            return true;
          }
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (name === "data") fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
        else if (name === "event" || name === "retry") fields[name] = value;
        else if (name === "id" && !value.includes("\0")) fields.id = value;
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        if (await readOnce()) {
          state("ended");
          return;
        }
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          state("failed");
          showError(error);
          return;
        }
      }
      if (stopped) return;
      state("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
    },
  };
}

// --- actions -----------------------------------------------------------------

/** Run `action` for a button press: the button disabled meanwhile, the error line
 * showing what went wrong. Resolves with the action's answer (undefined on error). */
export async function act(button, action) {
  if (button) button.disabled = true;
  showError(null);
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A button that asks for a second tap before `action` (no confirm() popup). */
export function confirmTwice(button, question, action) {
  const label = button.textContent;
  let armed = null;
  button.addEventListener("click", () => {
    if (!armed) {
      button.textContent = question;
      button.classList.add("armed");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = label;
        button.classList.remove("armed");
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.remove("armed");
    action();
  });
}

// --- what several pages use ---------------------------------------------------

const LIST_REFRESH_MS = 5000;

export function link(href, text) {
  return el("a", { href }, text);
}

export function metaList(node, pairs) {
  fill(node, pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
    .flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

/** Call `load` now and every few seconds while the tab is visible. */
export function every(load, ms = LIST_REFRESH_MS) {
  load();
  setInterval(() => {
    if (document.visibilityState === "visible") load();
  }, ms);
}

export function debounced(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
