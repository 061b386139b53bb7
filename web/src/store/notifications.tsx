// A customer's notifications: the bell in the header (unread count, live over `/ws/alerts`
// topic `me`, with live.ts's reconnect), the list page with mark-read, and the mail
// preferences panel of "My account".
//
// The `me` topic has no replay, so the count is read from `GET /notifications` each time the
// socket says `subscribed` (after every reconnect): what arrived while it was down is counted,
// and nothing that arrives after is missed.

import { useEffect, useState } from "preact/hooks";
import {
  type MailPreferences,
  type Notification,
  changePreferences,
  markAllRead,
  markRead,
  notifications,
  preferences,
} from "../aftersales";
import { type Connection, socket } from "../live";
import { ErrorNote, Link, Loading, Pager } from "../ui";

// --- the live feed, shared by the bell and the pages -----------------------------------------

const feed = new Set<(n: Notification) => void>();
const counts = new Set<(unread: number) => void>();
let unread = 0;

function setUnread(next: number) {
  unread = Math.max(0, next);
  counts.forEach((listener) => listener(unread));
}

/** Calls `listener` with each notification that arrives live; returns the unsubscribe. */
export function onNotification(listener: (n: Notification) => void): () => void {
  feed.add(listener);
  return () => feed.delete(listener);
}

function useUnread(): number {
  const [count, setCount] = useState(unread);
  useEffect(() => {
    counts.add(setCount);
    setCount(unread);
    return () => {
      counts.delete(setCount);
    };
  }, []);
  return count;
}

const recount = () =>
  notifications(1, 1).then(
    ({ meta }) => setUnread(meta?.unread ?? 0),
    () => {},
  );

/** The bell: a link to the list with the unread count, kept live while it is shown. */
export function Bell() {
  const count = useUnread();
  const [state, setState] = useState<Connection>("connecting");
  const [latest, setLatest] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    void recount();
    socket(
      "alerts",
      () => [{ type: "subscribe", topics: ["me"] }],
      (message) => {
        if (message.type === "subscribed") void recount();
        if (message.type === "notification" && message.notification) {
          const n = message.notification as Notification;
          if (!n.read) setUnread(unread + 1);
          setLatest(n.title);
          feed.forEach((listener) => listener(n));
        }
      },
      setState,
      abort.signal,
    );
    return () => abort.abort();
  }, []);
  const label = `Notifications, ${count} unread`;
  return (
    <>
      <Link
        href="/notifications"
        class="bell"
        aria-label={label}
        title={state === "live" ? label : `${label} (reconnecting)`}
        data-testid="bell"
        data-live={state}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z"
          />
        </svg>
        <span class={count > 0 ? "badge unread" : "badge"} aria-hidden="true" data-testid="unread">
          {count}
        </span>
      </Link>
      <span class="sr-only" role="status" data-testid="bell-news">
        {latest ? `New notification: ${latest}` : ""}
      </span>
    </>
  );
}

// --- the list --------------------------------------------------------------------------------

const PAGE = 20;

export function NotificationsPage() {
  const [list, setList] = useState<Notification[] | null>(null);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const read = (p = page) =>
    notifications(p, PAGE).then(({ data, meta }) => {
      setList(data);
      setTotal(meta?.total ?? data.length);
      if (meta) setUnread(meta.unread);
    }, setError);
  useEffect(() => void read(page), [page]);
  // New ones go on top of the first page as they arrive.
  useEffect(
    () =>
      onNotification((n) => {
        if (page !== 1) return;
        setList((known) => (known?.some((k) => k.id === n.id) ? known : [n, ...(known ?? [])]));
        setTotal((t) => t + 1);
      }),
    [page],
  );

  const act = async (change: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await change();
      await read();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const anyUnread = list?.some((n) => !n.read);

  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Notifications</h1>
      <p class="muted">
        Mail for these is chosen in <Link href="/account">My account</Link>.
      </p>
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list?.length === 0 && <p>No notifications yet.</p>}
      {anyUnread && (
        <button type="button" disabled={busy} onClick={() => act(markAllRead)}>
          Mark all read
        </button>
      )}
      <ul class="list" data-testid="notifications" aria-live="polite">
        {list?.map((n) => (
          <li key={n.id} class={`card notification${n.read ? "" : " unread"}`}
            data-notification-id={n.id} data-kind={n.kind} data-read={String(n.read)}>
            <div class="row">
              <strong>{n.title}</strong>
              {!n.read && <span class="badge unread">New</span>}
              <span class="muted">{new Date(n.createdAt).toLocaleString()}</span>
            </div>
            <p>{n.message}</p>
            <div class="row">
              {n.orderId && <Link href={`/orders/${n.orderId}`}>See the order</Link>}
              {!n.read && (
                <button class="small" disabled={busy} onClick={() => act(() => markRead(n.id))}>
                  Mark read<span class="sr-only"> {n.title}</span>
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      <Pager page={page} pages={pages} onPage={setPage} />
    </section>
  );
}

// --- mail preferences ------------------------------------------------------------------------

const CATEGORIES: [keyof MailPreferences["email"], string][] = [
  ["orders", "Orders: placed, shipped, delivered, and returns"],
  ["payments", "Payments: declined payments and refunds"],
  ["loyalty", "Loyalty: a new tier reached"],
  ["wishlist", "Wishlist: a wished product back in stock or cheaper"],
];

export function MailPreferencesPanel() {
  const [prefs, setPrefs] = useState<MailPreferences | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    preferences().then(setPrefs, setError);
  }, []);
  const toggle = async (category: keyof MailPreferences["email"], on: boolean) => {
    if (!prefs) return;
    // Shown as chosen at once (a controlled box would otherwise spring back until the answer),
    // and put back if the API refuses.
    const before = prefs;
    setPrefs({ ...prefs, email: { ...prefs.email, [category]: on } });
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      setPrefs((await changePreferences({ [category]: on })).data);
      setSaved("Saved.");
    } catch (e) {
      setPrefs(before);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card panel" aria-labelledby="mail-title">
      <h2 id="mail-title">Mail preferences</h2>
      <ErrorNote error={error} />
      {!prefs && !error && <Loading />}
      {prefs && (
        <fieldset data-testid="mail-preferences">
          <legend>Also send me an email about</legend>
          {CATEGORIES.map(([category, text]) => (
            <label key={category} class="choice">
              <input
                type="checkbox"
                name={`mail-${category}`}
                checked={prefs.email[category]}
                disabled={busy}
                onChange={(e) => toggle(category, e.currentTarget.checked)}
              />
              {text}
            </label>
          ))}
        </fieldset>
      )}
      {saved && (
        <p class="ok" role="status">
          {saved}
        </p>
      )}
      <p class="muted">Notifications in the shop are always kept.</p>
    </section>
  );
}
