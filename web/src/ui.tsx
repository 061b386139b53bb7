// What the storefront and the console share: the session hook, one change at a time with its
// error, links, errors in words, a labelled field, a live-status badge.

import type { AnchorHTMLAttributes, ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, current, onSession, type Session } from "./api";
import type { Connection } from "./live";
import { onLink } from "./router";

export function useSession(): Session | null {
  const [session, setSession] = useState(current());
  useEffect(() => onSession(setSession), []);
  return session;
}

/** One change at a time: `busy` while `run`'s change is under way, and its error kept to be
 * shown; `run` answers whether the change went through. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (change: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await change();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

export function Link(props: AnchorHTMLAttributes & { href: string }) {
  return <a {...props} onClick={onLink} />;
}

/** An error as a person reads it: the API's message, or what to do when it cannot be reached. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiError ? error.message : "Something went wrong; please try again.";
  const fields =
    error instanceof ApiError && error.details
      ? Object.entries(error.details).map(([field, why]) => `${field}: ${String(why)}`)
      : [];
  return (
    <div class="error" role="alert">
      <p>{text}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Field(props: {
  label: string;
  name: string;
  type?: "text" | "email" | "password" | "search" | "number";
  value: string;
  onInput: (value: string) => void;
  autocomplete?: string;
  required?: boolean;
  inputMode?: "numeric" | "decimal";
  placeholder?: string;
  min?: string;
  max?: string;
  step?: string;
}) {
  const id = `field-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={(props.type ?? "text") as "text"}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        inputMode={props.inputMode}
        placeholder={props.placeholder}
        min={props.min}
        max={props.max}
        step={props.step}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

const LIVE_TEXT: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Closed",
};

export function LiveBadge({ state }: { state: Connection }) {
  return (
    <span class={`badge live-${state}`} role="status" data-testid="live-state">
      {LIVE_TEXT[state]}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status status-${status.toLowerCase()}`}>{status}</span>;
}

export function Loading({ children }: { children?: ComponentChildren }) {
  return (
    <p class="muted" role="status">
      {children ?? "Loading…"}
    </p>
  );
}

/**
 * Previous / "Page n of m" / next for a paged list (nothing when it fits on one page). The
 * page numbers are 1-based; `label` names the navigation for screen readers.
 */
export function Pager(props: {
  page: number;
  pages: number;
  onPage: (page: number) => void;
  label?: string;
  previous?: string;
  next?: string;
}) {
  const { page, pages, onPage } = props;
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label={props.label ?? "Pages"}>
      <button disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {props.previous ?? "Previous"}
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {props.next ?? "Next"}
      </button>
    </nav>
  );
}

/** One line to write a chat message: sends the trimmed text (never an empty one), then clears
 * the box. Shared by the storefront's chat and the console's support conversation. */
export function MessageForm(props: {
  id: string;
  label: string;
  placeholder: string;
  live: boolean;
  onSend: (text: string) => void;
}) {
  const [draft, setDraft] = useState("");
  return (
    <form
      class="row"
      onSubmit={(e) => {
        e.preventDefault();
        const text = draft.trim();
        if (!text) return;
        props.onSend(text);
        setDraft("");
      }}
    >
      <label for={props.id} class="sr-only">
        {props.label}
      </label>
      <input
        id={props.id}
        class="grow"
        value={draft}
        maxLength={2000}
        placeholder={props.placeholder}
        onInput={(e) => setDraft(e.currentTarget.value)}
      />
      <button class="primary" type="submit" disabled={!props.live}>
        Send
      </button>
    </form>
  );
}
