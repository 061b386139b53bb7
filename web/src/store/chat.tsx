// The support chat over `/ws/chat/:sessionId` (the token in `?token=` when signed in, so the
// assistant knows whose orders to look at): the session's history on connect, a "thinking"
// note while a turn runs, then the answer with its citations. The session id is kept for the
// tab (sessionStorage), so a reload continues the same conversation. When a person from the
// team joins (an escalated conversation taken from the console's support queue), their
// messages show as theirs, with their name, the assistant stays quiet, and the chat says when
// they joined and when they handed the conversation back to the assistant.

import { useEffect, useRef, useState } from "preact/hooks";
import { type Connection, socket } from "../live";
import { LiveBadge, MessageForm } from "../ui";

interface Line {
  role: "user" | "assistant" | "agent" | "note";
  text: string;
  citations?: string[];
  /** The person's name, on an agent's line. */
  agent?: string;
}

const WHO: Record<Line["role"], string> = {
  user: "You",
  assistant: "Assistant",
  agent: "Support team",
  note: "Note",
};

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
  // The person holding the conversation, while one does.
  const [agent, setAgent] = useState<string | null>(null);
  const held = useRef(false);
  const holder = useRef<string | null>(null);
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
          // What was said with a person is in the history too (`agent` lines); `m.agent`
          // names whoever holds the conversation now.
          setLines(
            (m.messages ?? []).map((h: { role: string; text: string; agent?: string }) =>
              h.role === "agent"
                ? { role: "agent", text: h.text, agent: h.agent }
                : { role: h.role === "user" ? "user" : "assistant", text: h.text },
            ),
          );
          held.current = !!m.agent;
          holder.current = m.agent ?? null;
          setAgent(m.agent ?? null);
          setEnded(!!m.ended);
        } else if (m.type === "thinking") setThinking(true);
        else if (m.type === "assistant") {
          setThinking(false);
          setLines((l) => [...l, { role: "assistant", text: m.text, citations: m.citations }]);
          if (m.metadata?.sessionEnded) setEnded(true);
        } else if (m.type === "agent_joined") {
          held.current = true;
          holder.current = m.agent ?? "Support team";
          setAgent(holder.current);
          setThinking(false);
          setLines((l) => [...l, { role: "note", text: `${m.agent ?? "A person from our team"} joined the conversation.` }]);
        } else if (m.type === "agent") {
          held.current = true;
          holder.current = m.agent ?? "Support team";
          setAgent(holder.current);
          setThinking(false);
          setLines((l) => [...l, { role: "agent", text: m.content, agent: m.agent }]);
        } else if (m.type === "handback") {
          held.current = false;
          const who = holder.current ?? "The person from our team";
          setAgent(null);
          setLines((l) => [...l, { role: "note", text: `${who} left; the assistant answers again.` }]);
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
      // A person answers in their own time; only the assistant "types".
      if (!held.current) setThinking(true);
    };
    return () => abort.abort();
  }, []);

  return (
    <section aria-labelledby="chat-title" class="chat">
      <h1 id="chat-title">
        Support chat <LiveBadge state={state} />
      </h1>
      {agent && (
        <p class="badge agent-badge" data-testid="agent-here">
          You are talking with {agent}, a person from our team
        </p>
      )}
      <ol class="transcript" aria-live="polite" data-testid="transcript">
        {lines.map((line, i) => (
          <li key={i} class={`says-${line.role}`}>
            {line.role === "agent" ? (
              <span class="who-says">{line.agent ?? WHO.agent}: </span>
            ) : (
              <span class="sr-only">{WHO[line.role]}: </span>
            )}
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
        <MessageForm
          id="chat-message"
          label="Your message"
          placeholder="Ask about an order, returns, shipping…"
          live={state === "live"}
          onSend={(text) => send.current(text)}
        />
      )}
    </section>
  );
}
