// The warehouses and stores stock is kept in, in the order a reservation takes from them
// (warehouses first, then by priority, then by id): each renamed, made a warehouse or a store,
// or moved in that order in place; one removed once no product keeps units there and no order
// holds units taken from there (the API says which, else); and a form to add one.

import { useEffect, useState } from "preact/hooks";
import { request } from "../api";
import { ErrorNote, Field, Loading, useAction } from "../ui";

type Kind = "warehouse" | "store";

interface Location {
  id: string;
  name: string;
  kind: Kind;
  priority: number;
}

const BLANK = { id: "", name: "", kind: "store" as Kind, priority: "100" };

export function LocationsDesk() {
  const [all, setAll] = useState<Location[] | null>(null);
  const [draft, setDraft] = useState(BLANK);
  const add = useAction();
  const read = () => request<Location[]>("/locations").then(({ data }) => setAll(data), add.setError);
  useEffect(() => void read(), []);
  const create = async (e: Event) => {
    e.preventDefault();
    const body = { ...draft, id: draft.id.trim(), priority: Number(draft.priority) };
    if (await add.run(() => request("/locations", { method: "POST", body }))) {
      setDraft(BLANK);
      await read();
    }
  };
  return (
    <section aria-labelledby="locations-title">
      <h1 id="locations-title">Locations</h1>
      <p class="muted">
        A reservation takes units from warehouses before stores, then by priority (lower first).
      </p>
      {!all && <Loading />}
      {all && (
        <ul class="location-list" aria-label="Locations, in the order reservations take from them">
          {all.map((l) => (
            <LocationRow key={`${l.id}-${l.name}-${l.kind}-${l.priority}`} location={l} onChanged={read} />
          ))}
        </ul>
      )}
      <form class="card panel" onSubmit={create} aria-labelledby="new-location-title">
        <h2 id="new-location-title">New location</h2>
        <div class="address">
          <Field label="Id (for good)" name="locationId" required value={draft.id}
            onInput={(id) => setDraft({ ...draft, id })} />
          <Field label="Name" name="locationName" required value={draft.name}
            onInput={(name) => setDraft({ ...draft, name })} />
          <KindSelect id="location-kind" value={draft.kind} onChange={(kind) => setDraft({ ...draft, kind })} />
          <Field label="Priority" name="locationPriority" type="number" min="0" max="1000"
            value={draft.priority} onInput={(priority) => setDraft({ ...draft, priority })} />
        </div>
        <ErrorNote error={add.error} />
        <button class="primary" type="submit" disabled={add.busy}>
          Add location
        </button>
      </form>
    </section>
  );
}

function KindSelect(props: { id: string; value: Kind; onChange: (kind: Kind) => void; label?: string }) {
  return (
    <div class="field">
      <label class={props.label ? "sr-only" : undefined} for={props.id}>
        {props.label ?? "Kind"}
      </label>
      <select id={props.id} value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value as Kind)}>
        <option value="warehouse">Warehouse</option>
        <option value="store">Store</option>
      </select>
    </div>
  );
}

function LocationRow(props: { location: Location; onChanged: () => Promise<void> }) {
  const { location: l } = props;
  const [name, setName] = useState(l.name);
  const [kind, setKind] = useState<Kind>(l.kind);
  const [priority, setPriority] = useState(String(l.priority));
  const action = useAction();
  const changed = name !== l.name || kind !== l.kind || priority !== String(l.priority);
  const save = () =>
    action.run(async () => {
      const body = { name, kind, priority: Number(priority) };
      await request(`/locations/${l.id}`, { method: "PATCH", body });
      await props.onChanged();
    });
  const remove = () =>
    action.run(async () => {
      await request(`/locations/${l.id}`, { method: "DELETE" });
      await props.onChanged();
    });
  return (
    <li data-location-id={l.id}>
      <span class="muted">{l.id}</span>
      <label class="sr-only" for={`location-name-${l.id}`}>Name of {l.id}</label>
      <input id={`location-name-${l.id}`} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <KindSelect id={`location-kind-${l.id}`} label={`Kind of ${l.id}`} value={kind} onChange={setKind} />
      <label class="sr-only" for={`location-priority-${l.id}`}>Priority of {l.id}</label>
      <input id={`location-priority-${l.id}`} class="qty" type="number" min="0" max="1000"
        value={priority} onInput={(e) => setPriority(e.currentTarget.value)} />
      <button class="small" type="button" disabled={action.busy || !changed} onClick={save}>
        Save<span class="sr-only"> {l.id}</span>
      </button>{" "}
      <button class="small" type="button" disabled={action.busy || l.id === "main"} onClick={remove}>
        Remove<span class="sr-only"> {l.id}</span>
      </button>
      <ErrorNote error={action.error} />
    </li>
  );
}
