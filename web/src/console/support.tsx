// The support queue (issue 17, a person in the chat): escalated conversations waiting for a
// person or held by one, oldest first, read again whenever an escalation alert arrives over
// `/ws/alerts` (topic `support`) and every few seconds for the other admins' joins. An admin
// joins one over `/ws/support/:sessionId` (the transcript first, then the customer's messages
// live), answers, and leaves, which hands the conversation back to the assistant.

import { useEffect, useRef, useState } from "preact/hooks";
import { accessToken, ApiError, get, refresh, request } from "../api";
import { type Connection, socket } from "../live";
import { ErrorNote, LiveBadge, Loading, MessageForm, Pager, StatusBadge } from "../ui";

const PAGE = 50;
/** How often the queue is read again without an alert (another admin joined or left). */
const REREAD_MS = 10_000;

interface Message {
  role: "customer" | "assistant" | "agent";
  content: string;
  agent?: string | null;
  at: string;
}

interface Entry {
  sessionId: string;
  customerId: string | null;
  customerName: string | null;
  status: "WAITING" | "ACTIVE" | "CLOSED";
  reason: string;
  agentId: string | null;
  agentName: string | null;
  queuedAt: string;
  updatedAt: string;
  lastMessage: Message | null;
}

const who = (e: Pick<Entry, "customerName">) => e.customerName ?? "A visitor (not signed in)";
const when = (at: string) => new Date(at).toLocaleString();

export function SupportDesk() {
  const [page, setPage] = useState(1);
  const [queue, setQueue] = useState<Entry[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [state, setState] = useState<Connection>("connecting");
  const [joined, setJoined] = useState<Entry | null>(null);
  const [tick, setTick] = useState(0);
  const reread = () => setTick((n) => n + 1);

  useEffect(() => {
    const abort = new AbortController();
    request<Entry[]>(`/support/queue?page=${page}&limit=${PAGE}`, { signal: abort.signal }).then(
      ({ data, meta }) => {
        setQueue(data);
        setTotal(meta?.total ?? data.length);
        setError(null);
      },
      (e) => abort.signal.aborted || setError(e),
    );
    return () => abort.abort();
  }, [page, tick]);

  useEffect(() => {
    const abort = new AbortController();
    socket(
      "alerts",
      () => [{ type: "subscribe", topics: ["support"] }],
      (m) => {
        if (m.type === "alert") reread();
      },
      setState,
      abort.signal,
    );
    const timer = setInterval(reread, REREAD_MS);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, []);

  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <section aria-labelledby="support-title">
      <h1 id="support-title">
        Support queue <LiveBadge state={state} />
      </h1>
      {joined ? (
        <Conversation
          key={joined.sessionId}
          entry={joined}
          onLeft={() => {
            setJoined(null);
            reread();
          }}
        />
      ) : (
        <>
          <p class="muted">
            Conversations the assistant passed on, oldest first. Join one to talk with the customer;
            the assistant stays quiet until you leave.
          </p>
          <ErrorNote error={error} />
          {!queue && !error && <Loading />}
          {queue?.length === 0 && <p data-testid="queue-empty">Nobody is waiting for a person.</p>}
          <ul class="list" data-testid="support-queue" aria-live="polite">
            {queue?.map((e) => (
              <li key={e.sessionId} class="card" data-session={e.sessionId} data-status={e.status}>
                <div class="row">
                  <StatusBadge status={e.status} />
                  <strong>{who(e)}</strong>
                  <span class="muted">
                    {e.reason} · waiting since {when(e.queuedAt)}
                  </span>
                </div>
                {e.lastMessage && (
                  <p class="preview">
                    <span class="muted">{e.lastMessage.role}:</span> {e.lastMessage.content}
                  </p>
                )}
                {e.status === "ACTIVE" ? (
                  <p class="muted">{e.agentName ?? "Someone"} is in this conversation.</p>
                ) : (
                  <button type="button" class="primary" onClick={() => setJoined(e)}>
                    Join<span class="sr-only"> the conversation with {who(e)}</span>
                  </button>
                )}
              </li>
            ))}
          </ul>
          <Pager page={page} pages={pages} onPage={setPage} label="Queue pages" />
        </>
      )}
    </section>
  );
}

/** One conversation an admin holds: the transcript, live, with a box to answer and a way out. */
function Conversation({ entry, onLeft }: { entry: Entry; onLeft: () => void }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [state, setState] = useState<Connection>("connecting");
  const [problem, setProblem] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const ws = useRef<WebSocket | null>(null);

  useEffect(() => {
    let opened = false;
    let leaving = false;
    let refreshed = false;
    const token = accessToken();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = token ? `?token=${encodeURIComponent(token)}` : "";
    const open = new WebSocket(
      `${scheme}://${location.host}/api/ws/support/${encodeURIComponent(entry.sessionId)}${query}`,
    );
    ws.current = open;
    setState("connecting");
    open.onopen = () => {
      opened = true;
      setState("live");
      setProblem(null);
    };
    open.onmessage = (event) => {
      let m: any;
      try {
        m = JSON.parse(event.data);
      } catch {
        return;
      }
      if (m.type === "conversation") setMessages(m.conversation?.messages ?? []);
      else if (m.type === "customer") {
        setMessages((l) => [...l, { role: "customer", content: m.content, at: m.at }]);
      } else if (m.type === "error") {
        setProblem(new ApiError(400, m.code ?? "ERROR", m.message ?? "The message was refused."));
      }
    };
    open.onclose = async (event) => {
      ws.current = null;
      setState("closed");
      if (leaving) return;
      if (event.code === 1000 && opened) return onLeft();
      if (event.code === 4401 && !refreshed && (await refresh())) {
        refreshed = true;
        return setAttempt((n) => n + 1);
      }
      // Refused before the upgrade (someone else holds it, or it is gone): ask why, in words.
      try {
        const now = await get<Entry>(`/support/conversations/${encodeURIComponent(entry.sessionId)}`);
        setProblem(
          new ApiError(
            409,
            "CONFLICT",
            now.status === "ACTIVE"
              ? `${now.agentName ?? "Another person"} is already in this conversation.`
              : opened
                ? "The connection was lost. Join again to go on."
                : "The conversation could not be joined. Try again.",
          ),
        );
      } catch (e) {
        setProblem(e);
      }
    };
    return () => {
      leaving = true;
      open.onclose = null;
      open.close();
    };
  }, [entry.sessionId, attempt]);

  const send = (text: string) => {
    const open = ws.current;
    if (!open || open.readyState !== WebSocket.OPEN) return;
    open.send(JSON.stringify({ type: "message", content: text }));
    setMessages((l) => [...l, { role: "agent", content: text, agent: "You", at: new Date().toISOString() }]);
  };

  const live = state === "live";
  return (
    <section aria-labelledby="conversation-title" class="chat" data-testid="conversation">
      <h2 id="conversation-title">
        With {who(entry)} <LiveBadge state={state} />
      </h2>
      <p class="muted">
        {entry.reason} · waiting since {when(entry.queuedAt)}
      </p>
      <ErrorNote error={problem} />
      <ol class="transcript" aria-live="polite" data-testid="agent-transcript">
        {messages.map((m, i) => (
          <li key={i} class={`says-${m.role === "customer" ? "user" : m.role}`}>
            <span class={m.role === "agent" ? "who-says" : "sr-only"}>
              {m.role === "customer" ? who(entry) : m.role === "agent" ? (m.agent ?? "Support") : "Assistant"}:{" "}
            </span>
            {m.content}
          </li>
        ))}
      </ol>
      <MessageForm
        id="agent-message"
        label="Your answer"
        placeholder="Write to the customer…"
        live={live}
        onSend={send}
      />
      <p class="row">
        {live ? (
          <button type="button" onClick={() => ws.current?.send(JSON.stringify({ type: "close" }))}>
            Leave (hand back to the assistant)
          </button>
        ) : (
          <>
            <button type="button" onClick={() => setAttempt((n) => n + 1)}>
              Join again
            </button>
            <button type="button" class="link" onClick={onLeft}>
              Back to the queue
            </button>
          </>
        )}
      </p>
    </section>
  );
}
