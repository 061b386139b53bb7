// The staff and the audit log, for the super admin only (issue 19). Accounts, a page at a time,
// each with its role and whether it is disabled: make an admin or a customer again, disable
// (with a reason) or enable. The super admin's own account is shown without actions: the API
// refuses changing it. Below, the audit log of what staff did, newest first, filtered by the
// kind of change. After every change both are read again, so what is shown is what is stored;
// the log also every few seconds, since its entries come from the changes' events.

import { useEffect, useState } from "preact/hooks";
import { type Customer, type Meta, request } from "../api";
import { ErrorNote, Field, Loading, Pager, useAction } from "../ui";

/** An account as `GET /api/customers` lists it. */
type Account = Customer & { disabled: boolean };

/** One entry of `GET /api/admin/audit`. */
interface AuditEntry {
  id: string;
  at: string;
  actorId: string;
  actorRole: string;
  action: string;
  targetKind: string;
  targetId: string;
  summary: string;
  source: string;
}

const LIMIT = 20;
const pages = (meta?: Meta) => (meta ? Math.max(1, Math.ceil(meta.total / meta.limit)) : 1);

const ACTIONS = [
  "product.created",
  "product.updated",
  "product.deleted",
  "order.status_changed",
  "order.cancelled",
  "return.approved",
  "return.rejected",
  "return.received",
  "loyalty.changed",
  "customer.role_changed",
  "customer.disabled",
  "customer.enabled",
];

export function StaffDesk() {
  const [page, setPage] = useState(1);
  const [accounts, setAccounts] = useState<{ list: Account[]; meta?: Meta } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    request<Account[]>(`/customers?page=${page}&limit=${LIMIT}`).then(
      ({ data, meta }) => setAccounts({ list: data, meta }),
      setError,
    );
  }, [page, version]);
  const changed = () => setVersion((v) => v + 1);

  return (
    <section aria-labelledby="staff-title">
      <h1 id="staff-title">Staff</h1>
      <p class="muted">
        Make an account an admin, or disable one: its sessions end at once. Only you, the super
        admin, can; admins cannot grant roles.
      </p>
      <ErrorNote error={error} />
      {!accounts && !error && <Loading />}
      {accounts && (
        <table class="lines scroll" data-testid="staff">
          <caption class="sr-only">Accounts, with their role</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Role</th>
              <th scope="col">Access</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {accounts.list.map((a) => (
              <AccountRow key={a.id} account={a} changed={changed} />
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pages={pages(accounts?.meta)} onPage={setPage} label="Account pages" />
      <AuditLog version={version} />
    </section>
  );
}

/** One account: its role and access, and the changes the super admin may make. */
function AccountRow({ account, changed }: { account: Account; changed: () => void }) {
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const path = `/customers/${account.id}`;
  const act = (change: () => Promise<unknown>) =>
    run(async () => {
      await change();
      setReason("");
      changed();
    });
  const owner = account.role === "super_admin";
  return (
    <tr data-testid={`account-${account.email}`}>
      <th scope="row">
        {account.name} <span class="muted">{account.email}</span>
      </th>
      <td style={{ whiteSpace: "nowrap" }}>
        {account.role === "super_admin" ? "super admin" : account.role}
      </td>
      <td style={{ whiteSpace: "nowrap" }}>{account.disabled ? "disabled" : "active"}</td>
      <td>
        {owner ? (
          <span class="muted">the owner's account</span>
        ) : (
          <div class="filters">
            {account.role === "admin" ? (
              <button type="button" disabled={busy}
                onClick={() => act(() => request(`${path}/role`, { method: "PUT", body: { role: "customer" } }))}>
                Make {account.name} a customer
              </button>
            ) : (
              <button type="button" disabled={busy}
                onClick={() => act(() => request(`${path}/role`, { method: "PUT", body: { role: "admin" } }))}>
                Make {account.name} an admin
              </button>
            )}
            {account.disabled ? (
              <button type="button" disabled={busy}
                onClick={() => act(() => request(`${path}/enable`, { method: "POST" }))}>
                Enable {account.name}
              </button>
            ) : (
              <>
                <Field label={`Why disable ${account.name}`} name={`reason-${account.id}`}
                  value={reason} onInput={setReason} />
                <button type="button" disabled={busy || reason.trim() === ""}
                  onClick={() => act(() =>
                    request(`${path}/disable`, { method: "POST", body: { reason: reason.trim() } }))}>
                  Disable {account.name}
                </button>
              </>
            )}
            <ErrorNote error={error} />
          </div>
        )}
      </td>
    </tr>
  );
}

/** How often the shown audit log is read again. */
const AUDIT_REFRESH_MS = 3000;

/** The audit log, newest first, a page at a time; read again after every change here, and
 * every few seconds while it is shown (entries come from events, after the change). */
function AuditLog({ version }: { version: number }) {
  const [action, setAction] = useState("");
  const [page, setPage] = useState(1);
  const [log, setLog] = useState<{ list: AuditEntry[]; meta?: Meta } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const filter = action ? `&action=${encodeURIComponent(action)}` : "";
    let open = true;
    const read = () =>
      request<AuditEntry[]>(`/admin/audit?page=${page}&limit=${LIMIT}${filter}`).then(
        ({ data, meta }) => {
          if (!open) return;
          setLog({ list: data, meta });
          setError(null);
        },
        (e) => open && setError(e),
      );
    read();
    // An entry is written when the audit consumer takes the change's event, a moment after
    // the change answered: the log is read again while it is shown, so it turns up.
    const timer = setInterval(read, AUDIT_REFRESH_MS);
    return () => {
      open = false;
      clearInterval(timer);
    };
  }, [action, page, version]);

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <div class="filters">
        <div class="field">
          <label for="audit-action">Kind of change</label>
          <select id="audit-action" value={action}
            onChange={(e) => {
              setAction(e.currentTarget.value);
              setPage(1);
            }}>
            <option value="">All</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <p class="muted">{log?.meta ? `${log.meta.total} entries` : ""}</p>
      </div>
      <ErrorNote error={error} />
      {!log && !error && <Loading />}
      {log?.list.length === 0 && <p>Nothing yet.</p>}
      {log && log.list.length > 0 && (
        <table class="lines scroll" data-testid="audit">
          <caption class="sr-only">What staff did, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {log.list.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>
                  {e.actorRole === "super_admin" ? "super admin" : "admin"}{" "}
                  <span class="muted">{e.actorId}</span>
                </td>
                <td>
                  {e.action} <span class="muted">{e.targetKind} {e.targetId}</span>
                </td>
                <td>{e.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pages={pages(log?.meta)} onPage={setPage} label="Audit log pages" />
    </section>
  );
}
