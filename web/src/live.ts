// The live parts: an order's Server-Sent Events read over fetch (so the bearer token goes in a
// header, and `Last-Event-ID` can be sent on the first connect after a reload, which
// `EventSource` cannot do), and WebSockets that reconnect by themselves. Both back off between
// attempts and stop when their `AbortSignal` fires.

import { accessToken, refresh } from "./api";

export interface LiveEvent {
  type: string;
  id?: string;
  data: any;
}

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

/** Waits `ms`, or less when `signal` aborts or the browser comes back online. */
const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      removeEventListener("online", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
    addEventListener("online", done);
  });

/** Where the last event id of an order's stream is kept, so a reload resumes after it. */
const lastIdKey = (orderId: string) => `shop.sse.${orderId}`;

/**
 * Follows `/api/orders/:id/stream` until the order is final or `signal` aborts, resuming with
 * `Last-Event-ID` after a lost connection and after a reload.
 */
export async function followOrder(
  orderId: string,
  onEvent: (event: LiveEvent) => void,
  onState: (state: Connection) => void,
  signal: AbortSignal,
) {
  let attempt = 0;
  // One connection at a time, dropped at once when the browser reports the network gone (a
  // dead connection can stay open and silent for minutes), then resumed from the last id.
  let connection = new AbortController();
  const drop = () => connection.abort();
  addEventListener("offline", drop);
  signal.addEventListener("abort", drop);
  while (!signal.aborted) {
    onState(attempt === 0 ? "connecting" : "reconnecting");
    connection = new AbortController();
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    const token = accessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const last = sessionStorage.getItem(lastIdKey(orderId));
    if (last) headers["Last-Event-ID"] = last;
    try {
      if (!navigator.onLine) throw new Error("offline");
      const response = await fetch(`/api/orders/${orderId}/stream`, {
        headers,
        signal: connection.signal,
      });
      if (response.status === 204) break; // final, and every step already seen
      if (response.status === 401 && (await refresh())) continue;
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      onState("live");
      attempt = 0;
      let final = false;
      for await (const event of parse(response.body)) {
        if (event.id) sessionStorage.setItem(lastIdKey(orderId), event.id);
        onEvent(event);
        if (["DELIVERED", "CANCELLED", "REJECTED"].includes(event.data?.newStatus)) final = true;
      }
      if (final) break;
    } catch (e) {
      if (signal.aborted) break;
      console.debug("order stream lost", e);
    }
    attempt += 1;
    await wait(Math.min(500 * 2 ** attempt, 8000), signal);
  }
  removeEventListener("offline", drop);
  onState("closed");
}

/** SSE frames from a byte stream: `event:`, `id:`, `data:` lines, a blank line ends one. */
async function* parse(body: ReadableStream<Uint8Array>): AsyncGenerator<LiveEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = "message";
      let id: string | undefined;
      const data: string[] = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") type = text;
        else if (field === "id") id = text;
        else if (field === "data") data.push(text);
      }
      if (data.length === 0) continue;
      try {
        yield { type, id, data: JSON.parse(data.join("\n")) };
      } catch {
        yield { type, id, data: data.join("\n") };
      }
    }
  }
}

/**
 * A WebSocket to `/api/ws/<path>` with the token in `?token=` (browsers cannot set headers on
 * one), that sends `hello` on every open and reconnects with a backoff until `signal` aborts.
 */
export function socket(
  path: string,
  hello: () => unknown[],
  onMessage: (message: any) => void,
  onState: (state: Connection) => void,
  signal: AbortSignal,
  query: () => Record<string, string> = () => ({}),
  onOpen: (ws: WebSocket) => void = () => {},
) {
  let attempt = 0;
  const open = () => {
    if (signal.aborted) return;
    onState(attempt === 0 ? "connecting" : "reconnecting");
    const params = new URLSearchParams(query());
    const token = accessToken();
    if (token) params.set("token", token);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/ws/${path}?${params}`);
    ws.onopen = () => {
      attempt = 0;
      onOpen(ws);
      onState("live");
      for (const message of hello()) ws.send(JSON.stringify(message));
    };
    ws.onmessage = (event) => {
      try {
        onMessage(JSON.parse(event.data));
      } catch {
        // Not JSON: nothing this page understands.
      }
    };
    ws.onclose = async (event) => {
      if (signal.aborted) return;
      if (event.code === 4401) await refresh();
      attempt += 1;
      onState("reconnecting");
      await wait(Math.min(500 * 2 ** attempt, 8000), signal);
      open();
    };
    signal.addEventListener("abort", () => {
      ws.onclose = null;
      ws.close();
      onState("closed");
    });
  };
  open();
}
