// Coupon management: every coupon with how often it was used, a new one, pause and resume
// (`PATCH active`), delete. The list is read again after each change.

import { useEffect, useState } from "preact/hooks";
import { money } from "../shop";
import { type Coupon, coupons, createCoupon, deleteCoupon, patchCoupon } from "../commerce";
import { ErrorNote, Field, Loading, useAction } from "../ui";

const KINDS: [Coupon["kind"], string][] = [
  ["percent", "Percent off"],
  ["fixed", "Amount off"],
  ["free_shipping", "Free shipping"],
];
const TIERS = ["", "Bronze", "Silver", "Gold", "Platinum"];
const DRAFT = { code: "", kind: "percent" as Coupon["kind"], value: "", usageLimit: "", minSubtotal: "", minTier: "" };

function describe(c: Coupon): string {
  if (c.kind === "free_shipping") return "free shipping";
  return c.kind === "percent" ? `${c.value}% off` : `${money(c.value ?? 0)} off`;
}

export function Coupons() {
  const [list, setList] = useState<Coupon[] | null>(null);
  const { busy, error, setError, run } = useAction();
  const [draft, setDraft] = useState(DRAFT);

  const read = () => coupons().then(setList, setError);
  useEffect(() => void read(), []);
  const act = (change: () => Promise<unknown>) =>
    run(async () => {
      await change();
      await read();
    });

  const create = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { code: draft.code.trim(), kind: draft.kind };
    if (draft.kind !== "free_shipping") body.value = Number(draft.value);
    if (draft.usageLimit) body.usageLimit = Number(draft.usageLimit);
    if (draft.minSubtotal) body.minSubtotal = Number(draft.minSubtotal);
    if (draft.minTier) body.minTier = draft.minTier;
    if (await act(() => createCoupon(body))) setDraft(DRAFT);
  };
  const set = (part: keyof typeof DRAFT) => (value: string) => setDraft({ ...draft, [part]: value });

  return (
    <section aria-labelledby="coupons-title">
      <h1 id="coupons-title">Coupons</h1>
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list && (
        <table class="lines" data-testid="coupons">
          <caption class="sr-only">Every coupon and how often it was used</caption>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Gives</th>
              <th scope="col">Rules</th>
              <th scope="col">Used</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.code} data-coupon={c.code}>
                <th scope="row">{c.code}</th>
                <td>{describe(c)}</td>
                <td>
                  {[
                    c.minSubtotal ? `from ${money(c.minSubtotal)}` : "",
                    c.minTier ? `${c.minTier} and above` : "",
                    c.validUntil ? `until ${new Date(c.validUntil).toLocaleDateString()}` : "",
                  ]
                    .filter(Boolean)
                    .join(", ") || "—"}
                </td>
                <td data-testid="coupon-used">
                  {c.used}
                  {c.usageLimit ? ` of ${c.usageLimit}` : ""}
                </td>
                <td>
                  <span class={`badge ${c.active ? "health-ok" : "health-degraded"}`}>
                    {c.active ? "active" : "paused"}
                  </span>
                </td>
                <td class="actions">
                  <button class="small" disabled={busy}
                    onClick={() => act(() => patchCoupon(c.code, { active: !c.active }))}>
                    {c.active ? "Pause" : "Resume"}
                    <span class="sr-only"> {c.code}</span>
                  </button>{" "}
                  <button class="small" disabled={busy} onClick={() => act(() => deleteCoupon(c.code))}>
                    Delete<span class="sr-only"> {c.code}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="card panel" onSubmit={create} aria-labelledby="new-coupon-title">
        <h2 id="new-coupon-title">New coupon</h2>
        <div class="address">
          <Field label="Code" name="couponCode" required value={draft.code} onInput={set("code")} />
          <div class="field">
            <label for="coupon-kind">Kind</label>
            <select id="coupon-kind" value={draft.kind}
              onChange={(e) => set("kind")(e.currentTarget.value)}>
              {KINDS.map(([kind, text]) => (
                <option key={kind} value={kind}>
                  {text}
                </option>
              ))}
            </select>
          </div>
          {draft.kind !== "free_shipping" && (
            <Field label={draft.kind === "percent" ? "Percent" : "Amount"} name="couponValue"
              type="number" step="0.01" inputMode="decimal" required value={draft.value} onInput={set("value")} />
          )}
          <Field label="Usage limit (optional)" name="couponLimit" type="number" min="1"
            value={draft.usageLimit} onInput={set("usageLimit")} />
          <Field label="Minimum subtotal (optional)" name="couponMin" type="number" min="0"
            step="0.01" inputMode="decimal" value={draft.minSubtotal} onInput={set("minSubtotal")} />
          <div class="field">
            <label for="coupon-tier">Minimum tier</label>
            <select id="coupon-tier" value={draft.minTier}
              onChange={(e) => set("minTier")(e.currentTarget.value)}>
              {TIERS.map((t) => (
                <option key={t} value={t}>
                  {t || "Any"}
                </option>
              ))}
            </select>
          </div>
        </div>
        <button class="primary" type="submit" disabled={busy}>
          Create coupon
        </button>
      </form>
    </section>
  );
}
