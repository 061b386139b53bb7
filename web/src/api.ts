// The one client of the public API (`/api` on this origin): the envelope of DESIGN.md, the
// session (tokens in memory, mirrored to sessionStorage so a reload keeps it and a closed tab
// forgets it), one silent refresh through `/api/auth/refresh` when an access token is refused,
// uploads and downloads with the session's token, and signing in, up and out. The shop's
// shapes (products, carts, orders) and checkout are `shop.ts`.

export type Role = "customer" | "admin" | "super_admin";

/** Whether a role is staff: an admin or the super admin (who also manages the staff). */
export const isStaff = (role: Role | undefined) => role === "admin" || role === "super_admin";

export interface Customer {
  id: string;
  name: string;
  email: string;
  role?: Role;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  customer: Customer;
  role: Role;
}

export interface Meta {
  page: number;
  limit: number;
  total: number;
}

/** An answer the API refused, in words: `code` and `message` from the envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const KEY = "shop.session";
let session: Session | null = load();
const listeners = new Set<(s: Session | null) => void>();
let refreshing: Promise<boolean> | null = null;
/** Set from the moment the session is being ended (sign-out, erasure) until it is dropped: what
 * runs in the background meanwhile (the clickstream's batch, a stream reconnecting) goes
 * without the token, which the shop is about to refuse. */
let ending = false;

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function store(next: Session | null) {
  session = next;
  ending = false;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(next));
}

/** The signed-in person, or null. */
export function current(): Session | null {
  return session;
}

/** Calls `listener` whenever the session changes; returns the unsubscribe. */
export function onSession(listener: (s: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The access token, for the streams that carry it in the URL (`?token=`) and the clickstream;
 * none while the session is being ended. */
export function accessToken(): string | null {
  return ending ? null : (session?.accessToken ?? null);
}

/** The role claim of a token (what the gateway checks), without verifying it. */
function roleOf(token: string): Role {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const role = JSON.parse(atob(payload)).role;
    return role === "admin" || role === "super_admin" ? role : "customer";
  } catch {
    return "customer";
  }
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
  customer: Customer;
}

function signedIn(tokens: Tokens): Session {
  const next = { ...tokens, role: roleOf(tokens.accessToken) };
  store(next);
  return next;
}

/** Envelope in, data out; a refused answer becomes an [`ApiError`] with the API's words. */
async function unwrap<T>(response: Response): Promise<{ data: T; meta?: Meta }> {
  if (response.status === 204) return { data: undefined as T };
  let body: any = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's error page or a cut connection.
  }
  if (response.ok && body?.success) return { data: body.data as T, meta: body.meta };
  const error = body?.error;
  throw new ApiError(
    response.status,
    error?.code ?? "INTERNAL",
    error?.message ?? `The shop answered ${response.status}; please try again.`,
    error?.details,
  );
}

export interface Options {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send without the access token (sign-in, sign-up, refresh). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

async function send(path: string, options: Options): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (!options.anonymous && session) headers.Authorization = `Bearer ${session.accessToken}`;
  try {
    return await fetch(`/api${path}`, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "NETWORK", "The shop cannot be reached; check your connection.");
  }
}

/** Exchanges the refresh token once for a new pair; false (and signed out) when refused. */
export function refresh(): Promise<boolean> {
  const refreshToken = session?.refreshToken;
  if (!refreshToken) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const response = await send("/auth/refresh", {
        method: "POST",
        body: { refreshToken },
        anonymous: true,
      });
      signedIn((await unwrap<Tokens>(response)).data);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) store(null);
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** One call: the data and, for lists, the page meta. Retries once after a silent refresh. */
export async function request<T>(path: string, options: Options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && !options.anonymous && session && (await refresh())) {
    response = await send(path, options);
  }
  return unwrap<T>(response);
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { signal })).data;
}

/** Posts a form (an upload) with the session's token; the browser sets its content type
 * and boundary. Retries once after a silent refresh, as `request` does. */
export async function upload<T>(path: string, form: FormData) {
  const post = () => {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (session) headers.Authorization = `Bearer ${session.accessToken}`;
    return fetch(`/api${path}`, { method: "POST", headers, body: form }).catch(() => {
      throw new ApiError(0, "NETWORK", "The shop cannot be reached; check your connection.");
    });
  };
  let response = await post();
  if (response.status === 401 && session && (await refresh())) response = await post();
  return unwrap<T>(response);
}

/** A file the API answers (a report): fetched with the session's token (a plain link would
 * carry none) and handed to the browser as a download named as the API names it. */
export async function download(path: string, fallbackName: string): Promise<void> {
  let response = await send(path, { headers: { Accept: "*/*" } });
  if (response.status === 401 && session && (await refresh())) {
    response = await send(path, { headers: { Accept: "*/*" } });
  }
  if (!response.ok) await unwrap(response);
  const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "");
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = named?.[1] ?? fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- auth -------------------------------------------------------------------------------

export async function signIn(email: string, password: string): Promise<Session> {
  const { data } = await request<Tokens>("/auth/login", {
    method: "POST",
    body: { email, password },
    anonymous: true,
  });
  return signedIn(data);
}

export async function signUp(name: string, email: string, password: string): Promise<Session> {
  const { data } = await request<Tokens>("/auth/register", {
    method: "POST",
    body: { name, email, password },
    anonymous: true,
  });
  return signedIn(data);
}

export async function signOut(): Promise<void> {
  const refreshToken = session?.refreshToken;
  ending = true;
  try {
    if (session) await request("/auth/logout", { method: "POST", body: { refreshToken } });
  } catch {
    // Signed out here whatever the API says: the tokens are dropped below.
  } finally {
    store(null);
  }
}

/** Everything customer-service keeps about the caller, as the API gives it for a file. */
export async function exportMyData(): Promise<unknown> {
  return get<unknown>("/customers/me/export");
}

/** Erases the caller's account (the password asked again). The session is then dead in every
 * service: drop it here with `forgetSession` once the page has left the pages that need one. */
export async function eraseAccount(password: string): Promise<void> {
  ending = true;
  try {
    await request("/customers/me", { method: "DELETE", body: { password } });
  } catch (e) {
    ending = false; // Refused (a wrong password): the session goes on.
    throw e;
  }
}

/** Drops the session here without asking the API, for an account that no longer exists. */
export function forgetSession(): void {
  store(null);
}
