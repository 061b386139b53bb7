// The support chat over `/ws/chat/:sessionId` (the token in `?token=` when signed in, so the
// assistant knows whose orders to look at): the session's history on connect, a "thinking"
// note while a turn runs, then the answer with its citations. The session id is kept for the
// tab (sessionStorage), so a reload continues the same conversation.

import { useEffect, useRef, useState } from "preact/hooks";
import { type Connection, socket } from "../live";
import { LiveBadge } from "../ui";

interface Line {
  role: "user" | "assistant" | "note";
  text: string;
  citations?: string[];
}

const KEY = "shop.chat.session";

function sessionId(): string {
  let id = sessionStorage.getItem(KEY);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(KEY, id);
  }
  return id;
}

export function Chat() {
  const [lines, setLines] = useState<Line[]>([]);
  const [state, setState] = useState<Connection>("connecting");
  const [thinking, setThinking] = useState(false);
  const [ended, setEnded] = useState(false);
  const [draft, setDraft] = useState("");
  const send = useRef<(text: string) => void>(() => {});

  useEffect(() => {
    const abort = new AbortController();
    let ws: WebSocket | null = null;
    const id = sessionId();
    socket(
      `chat/${id}`,
      () => [],
      (m) => {
        if (m.type === "history") {
          setLines(
            (m.messages ?? []).map((h: { role: string; text: string }) => ({
              role: h.role === "user" ? "user" : "assistant",
              text: h.text,
            })),
          );
          setEnded(!!m.ended);
        } else if (m.type === "thinking") setThinking(true);
        else if (m.type === "assistant") {
          setThinking(false);
          setLines((l) => [...l, { role: "assistant", text: m.text, citations: m.citations }]);
          if (m.metadata?.sessionEnded) setEnded(true);
        } else if (m.type === "error") {
          setThinking(false);
          setLines((l) => [...l, { role: "note", text: m.message ?? "The assistant failed." }]);
        }
      },
      setState,
      abort.signal,
      () => ({}),
      (open) => (ws = open),
    );
    send.current = (text) => {
      if (ws?.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: "message", message: text }));
      setLines((l) => [...l, { role: "user", text }]);
      setThinking(true);
    };
    return () => abort.abort();
  }, []);

  return (
    <section aria-labelledby="chat-title" class="chat">
      <h1 id="chat-title">
        Support chat <LiveBadge state={state} />
      </h1>
      <ol class="transcript" aria-live="polite" data-testid="transcript">
        {lines.map((line, i) => (
          <li key={i} class={`says-${line.role}`}>
            <span class="sr-only">{line.role === "user" ? "You" : "Support"}: </span>
            {line.text}
            {line.citations && line.citations.length > 0 && (
              <span class="citations">Sources: {line.citations.join(", ")}</span>
            )}
          </li>
        ))}
        {thinking && (
          <li class="says-note" role="status">
            Support is typing…
          </li>
        )}
      </ol>
      {ended ? (
        <p class="muted">This conversation has ended.</p>
      ) : (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            const text = draft.trim();
            if (!text) return;
            send.current(text);
            setDraft("");
          }}
        >
          <label for="chat-message" class="sr-only">
            Your message
          </label>
          <input
            id="chat-message"
            class="grow"
            value={draft}
            maxLength={2000}
            placeholder="Ask about an order, returns, shipping…"
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
          <button class="primary" type="submit" disabled={state !== "live"}>
            Send
          </button>
        </form>
      )}
    </section>
  );
}
