// The storefront's clickstream (`POST /api/events`): what a shopper does — pages shown, product
// pages, products put in the cart, searches with how many products they found, the checkout
// opened — kept in a queue and sent in batches: two seconds after the first event, at once at
// 20, and when the tab is hidden or closed (`keepalive`, so the last batch outlives the page).
//
// Every event has an id unique within the browsing session (kept in sessionStorage with the
// session id), so a batch sent again after a lost answer counts once. A batch the shop could not
// take (no network, 429, 5xx) goes back to the front of the queue and is tried again after the
// wait the shop asked for (`Retry-After`) or five seconds; the queue keeps at most 500 events,
// dropping the oldest. A batch refused as bad (400) is dropped: sending it again cannot help.
// The clickstream never blocks a page and never shows an error: it is the shop's insight, not
// the shopper's business.

import { accessToken } from "./api";

export type ClickKind = "page_view" | "view_product" | "add_to_cart" | "search" | "checkout_started";

interface Click {
  id: string;
  type: ClickKind;
  at: string;
  sessionId: string;
  productId?: string;
  query?: string;
  results?: number;
  path?: string;
}

const SESSION = "shop.clicks.session";
const SEQUENCE = "shop.clicks.seq";
const BATCH = 20;
const LIMIT = 500;

let queue: Click[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let sending = false;

function sessionId(): string {
  let id = sessionStorage.getItem(SESSION);
  if (!id) {
    id = `s${crypto.randomUUID().replace(/-/g, "")}`;
    sessionStorage.setItem(SESSION, id);
  }
  return id;
}

function nextId(): string {
  const n = Number(sessionStorage.getItem(SEQUENCE) ?? "0") + 1;
  sessionStorage.setItem(SEQUENCE, String(n));
  return `e-${String(n).padStart(7, "0")}`;
}

function schedule(ms: number) {
  if (timer === undefined) timer = setTimeout(() => void flush(), ms);
}

/** Notes one thing the shopper did. */
export function track(type: ClickKind, detail: Partial<Pick<Click, "productId" | "query" | "results" | "path">> = {}) {
  try {
    queue.push({ id: nextId(), type, at: new Date().toISOString(), sessionId: sessionId(), ...detail });
  } catch {
    return; // No sessionStorage (a locked-down browser): no clickstream.
  }
  if (queue.length > LIMIT) queue = queue.slice(-LIMIT);
  if (queue.length >= BATCH) void flush();
  else schedule(2000);
}

/** Sends what is queued; `leaving`: the page is going away, so the request must outlive it. */
export async function flush(leaving = false) {
  clearTimeout(timer);
  timer = undefined;
  if (sending || queue.length === 0) return;
  const events = queue.splice(0, 100);
  sending = true;
  let retryIn = 0;
  try {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    const token = accessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const body = JSON.stringify({ events });
    let response = await fetch("/api/events", { method: "POST", headers, body, keepalive: leaving });
    if (response.status === 401) {
      // An expired token: the events still count, anonymously.
      delete headers.Authorization;
      response = await fetch("/api/events", { method: "POST", headers, body, keepalive: leaving });
    }
    if (response.status === 429 || response.status >= 500) {
      retryIn = 1000 * Math.max(5, Number(response.headers.get("retry-after")) || 0);
    }
  } catch {
    retryIn = 5000;
  } finally {
    sending = false;
  }
  if (retryIn > 0) {
    queue = [...events, ...queue].slice(-LIMIT);
    schedule(retryIn);
  } else if (queue.length > 0) {
    schedule(leaving ? 0 : 2000);
  }
}

addEventListener("pagehide", () => void flush(true));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") void flush(true);
});
