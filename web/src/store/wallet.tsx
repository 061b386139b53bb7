// "My account": saved addresses and saved cards (list, add, delete, make default) and the
// loyalty account (points, tier, the next tier, history), mail preferences and a link to the
// returns; the account's data as a file, and the account's erasure. Every change answers with the API's own list read again, so what is shown is what
// is stored.

import { useEffect, useState } from "preact/hooks";
import { eraseAccount, exportMyData, forgetSession } from "../api";
import { type Address, type SavedAddress, money } from "../shop";
import {
  type Card,
  type Loyalty,
  addresses as listAddresses,
  cards as listCards,
  defaultAddress,
  defaultCard,
  deleteAddress,
  deleteCard,
  expiry,
  loyalty as readLoyalty,
  saveAddress,
  saveCard,
} from "../commerce";
import { navigate } from "../router";
import { ErrorNote, Field, Link, Loading, useAction } from "../ui";
import { MailPreferencesPanel } from "./notifications";

export function AccountPage() {
  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">My account</h1>
      <p>
        <Link href="/returns">My returns</Link> · <Link href="/notifications">Notifications</Link>
      </p>
      <LoyaltyPanel />
      <MailPreferencesPanel />
      <Addresses />
      <Cards />
      <YourData />
    </section>
  );
}

/** The account's data as a JSON file, and the account's erasure (password asked again). */
function YourData() {
  const [password, setPassword] = useState("");
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const download = () =>
    run(async () => {
      const data = await exportMyData();
      const file = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(file);
      const link = document.createElement("a");
      link.href = url;
      link.download = "my-data.json";
      link.click();
      URL.revokeObjectURL(url);
    });
  return (
    <section aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <p>
        <button type="button" onClick={download} disabled={busy}>
          Download my data
        </button>
      </p>
      {confirming ? (
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            if (await run(() => eraseAccount(password))) {
              // Away from this page first: without a session it would send the visitor to
              // sign in and come back here.
              navigate("/signin?erased=1", true);
              forgetSession();
            }
          }}
        >
          <p>
            Deleting your account erases your name, email, addresses, saved cards, points and
            wishlist, and signs you out everywhere. Your orders are kept without your street.
            This cannot be undone.
          </p>
          <Field label="Your password" name="erase-password" type="password" required
            autocomplete="current-password" value={password} onInput={setPassword} />
          <button class="danger" type="submit" disabled={busy}>
            Delete my account for good
          </button>{" "}
          <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
            Keep my account
          </button>
        </form>
      ) : (
        <p>
          <button type="button" onClick={() => setConfirming(true)}>
            Delete my account…
          </button>
        </p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

/** A list read from the API, re-read after each change; `act` runs one change. */
function useList<T>(read: () => Promise<T[]>) {
  const [list, setList] = useState<T[] | null>(null);
  const { busy, error, setError, run } = useAction();
  useEffect(() => {
    read().then(setList, setError);
  }, []);
  const act = (change: () => Promise<unknown>): Promise<boolean> =>
    run(async () => {
      await change();
      setList(await read());
    });
  return { list, error, busy, act };
}

const EMPTY: Address & { label: string } = { street: "", city: "", zipCode: "", country: "", label: "" };

function Addresses() {
  const { list, error, busy, act } = useList<SavedAddress>(listAddresses);
  const [draft, setDraft] = useState(EMPTY);
  const set = (part: keyof typeof EMPTY) => (value: string) => setDraft({ ...draft, [part]: value });
  return (
    <section class="card panel" aria-labelledby="addresses-title">
      <h2 id="addresses-title">Saved addresses</h2>
      {!list && !error && <Loading />}
      {list?.length === 0 && <p>No saved addresses yet.</p>}
      <ul class="list" data-testid="addresses">
        {list?.map((a) => (
          <li key={a.id} class="row">
            <span>
              {a.label && <strong>{a.label}: </strong>}
              {a.street}, {a.zipCode} {a.city}, {a.country}
            </span>
            {a.isDefault ? (
              <span class="badge">Default</span>
            ) : (
              <button class="small" disabled={busy} onClick={() => act(() => defaultAddress(a.id))}>
                Make default<span class="sr-only"> {a.street}</span>
              </button>
            )}
            <button class="small" disabled={busy} onClick={() => act(() => deleteAddress(a.id))}>
              Delete<span class="sr-only"> {a.street}</span>
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const { label, ...address } = draft;
          if (await act(() => saveAddress({ ...address, label: label.trim() || undefined }))) {
            setDraft(EMPTY);
          }
        }}
      >
        <h3>Add an address</h3>
        <div class="address">
          <Field label="Label (optional)" name="addrLabel" value={draft.label} onInput={set("label")} />
          <Field label="Street" name="addrStreet" required autocomplete="street-address"
            value={draft.street} onInput={set("street")} />
          <Field label="City" name="addrCity" required autocomplete="address-level2"
            value={draft.city} onInput={set("city")} />
          <Field label="Postal code" name="addrZip" required autocomplete="postal-code"
            value={draft.zipCode} onInput={set("zipCode")} />
          <Field label="Country" name="addrCountry" required autocomplete="country-name"
            value={draft.country} onInput={set("country")} />
        </div>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          Save address
        </button>
      </form>
    </section>
  );
}

const NEW_CARD = { number: "", expiry: "", cvc: "" };

function Cards() {
  const { list, error, busy, act } = useList<Card>(listCards);
  const [draft, setDraft] = useState(NEW_CARD);
  const [problem, setProblem] = useState<string | null>(null);
  const set = (part: keyof typeof NEW_CARD) => (value: string) => setDraft({ ...draft, [part]: value });
  return (
    <section class="card panel" aria-labelledby="cards-title">
      <h2 id="cards-title">Saved cards</h2>
      {!list && !error && <Loading />}
      {list?.length === 0 && <p>No saved cards yet.</p>}
      <ul class="list" data-testid="cards">
        {list?.map((c) => (
          <li key={c.id} class="row">
            <span>
              {c.brand} ending {c.last4}, expires {String(c.expMonth).padStart(2, "0")}/{c.expYear}
            </span>
            {c.isDefault ? (
              <span class="badge">Default</span>
            ) : (
              <button class="small" disabled={busy} onClick={() => act(() => defaultCard(c.id))}>
                Make default<span class="sr-only"> card ending {c.last4}</span>
              </button>
            )}
            <button class="small" disabled={busy} onClick={() => act(() => deleteCard(c.id))}>
              Delete<span class="sr-only"> card ending {c.last4}</span>
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const when = expiry(draft.expiry);
          setProblem(when ? null : "Enter the card's expiry as MM/YY.");
          if (!when) return;
          const card = { number: draft.number.trim(), cvc: draft.cvc.trim(), ...when };
          if (await act(() => saveCard(card))) setDraft(NEW_CARD);
        }}
      >
        <h3>Add a card</h3>
        <div class="address">
          <Field label="Card number" name="newCardNumber" required autocomplete="cc-number"
            inputMode="numeric" value={draft.number} onInput={set("number")} />
          <Field label="Expiry (MM/YY)" name="newCardExpiry" required autocomplete="cc-exp"
            value={draft.expiry} onInput={set("expiry")} />
          <Field label="CVC" name="newCardCvc" required autocomplete="cc-csc" inputMode="numeric"
            value={draft.cvc} onInput={set("cvc")} />
        </div>
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          Save card
        </button>
      </form>
    </section>
  );
}

function LoyaltyPanel() {
  const [account, setAccount] = useState<Loyalty | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    readLoyalty().then(setAccount, setError);
  }, []);
  return (
    <section class="card panel" aria-labelledby="loyalty-title">
      <h2 id="loyalty-title">Loyalty points</h2>
      <ErrorNote error={error} />
      {!account && !error && <Loading />}
      {account && (
        <>
          <p data-testid="loyalty-summary">
            <strong>{account.points}</strong> points (worth {money(account.points / 100)}), tier{" "}
            <strong>{account.tier}</strong>
            {account.nextTier &&
              `; ${account.nextTier.pointsNeeded} more lifetime points to ${account.nextTier.name}`}
            .
          </p>
          {account.history.length === 0 ? (
            <p class="muted">No points yet: every delivered order earns some.</p>
          ) : (
            <table class="lines" data-testid="loyalty-history">
              <caption class="sr-only">Points history, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Points</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {account.history.slice(0, 20).map((h, i) => (
                  <tr key={i}>
                    <td>{new Date(h.at).toLocaleString()}</td>
                    <td>{h.points > 0 ? `+${h.points}` : h.points}</td>
                    <td>{h.note ?? h.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
