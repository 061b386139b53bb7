// The category tree for admins (issue 19): every category with its products counted (its own,
// and everything under it), a new category at the top or under another, and per category a
// rename, a move under another (or to the top) and a delete. What the API refuses (a taken
// name, a move under itself, a delete while products or children are in it) is said in words
// on that row; after every change the tree is read again, so what is shown is what is stored.

import { useEffect, useState } from "preact/hooks";
import { request } from "../api";
import { ErrorNote, Field, Loading, useAction } from "../ui";

/** A node of `GET /api/categories`. */
interface CategoryNode {
  id: string;
  name: string;
  slug: string;
  parent: string | null;
  productCount: number;
  totalCount: number;
  children: CategoryNode[];
}

/** The tree flattened in order, parents before their children, with their depth. */
type Row = CategoryNode & { depth: number };
function flatten(nodes: CategoryNode[], depth = 0): Row[] {
  return nodes.flatMap((n) => [{ ...n, depth }, ...flatten(n.children, depth + 1)]);
}

const tree = () => request<CategoryNode[]>("/categories").then(({ data }) => flatten(data));

/** `<option>`s of every category, indented by depth; `except` and its subtree left out. */
function Options({ rows, except }: { rows: Row[]; except?: Row }) {
  let skipping = -1;
  return (
    <>
      {rows.map((r) => {
        if (skipping >= 0 && r.depth > skipping) return null;
        skipping = -1;
        if (except && r.id === except.id) {
          skipping = r.depth;
          return null;
        }
        return (
          <option key={r.id} value={r.id}>
            {"\u2003".repeat(r.depth)}
            {r.name}
          </option>
        );
      })}
    </>
  );
}

export function CategoriesDesk() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const { busy, error, setError, run } = useAction();

  const read = () => tree().then(setRows, setError);
  useEffect(() => void read(), []);

  const add = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await request("/categories", {
        method: "POST",
        body: { name: name.trim(), parent: parent || null },
      });
      setName("");
      await read();
    });
  };

  return (
    <section aria-labelledby="categories-title">
      <h1 id="categories-title">Categories</h1>
      <form onSubmit={add} class="filters">
        <Field label="New category" name="category-name" required value={name} onInput={setName} />
        <div class="field">
          <label for="category-parent">Under</label>
          <select id="category-parent" value={parent}
            onChange={(e) => setParent(e.currentTarget.value)}>
            <option value="">(the top)</option>
            {rows && <Options rows={rows} />}
          </select>
        </div>
        <button class="primary" type="submit" disabled={busy}>Add category</button>
      </form>
      <ErrorNote error={error} />
      {!rows && !error && <Loading />}
      {rows && rows.length === 0 && <p>No categories yet.</p>}
      {rows && rows.length > 0 && (
        <table class="lines" data-testid="categories">
          <caption class="sr-only">Categories, with their products counted</caption>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Products</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <CategoryRow key={row.id} row={row} rows={rows} changed={read} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One category: its counts, and its rename, move and delete with their own error. */
function CategoryRow({ row, rows, changed }: { row: Row; rows: Row[]; changed: () => Promise<void> }) {
  const [name, setName] = useState(row.name);
  const [parent, setParent] = useState(row.parent ?? "");
  const { busy, error, run } = useAction();
  useEffect(() => {
    setName(row.name);
    setParent(row.parent ?? "");
  }, [row.name, row.parent]);

  const act = (change: () => Promise<unknown>) =>
    run(async () => {
      await change();
      await changed();
    });
  const path = `/categories/${row.id}`;
  return (
    <tr data-testid={`category-${row.slug}`}>
      <th scope="row" style={{ paddingLeft: `${0.5 + row.depth * 1.5}rem` }}>
        {row.name} <span class="muted">({row.slug})</span>
      </th>
      <td>
        {row.productCount} here, {row.totalCount} in all
      </td>
      <td>
        <div class="filters">
          <div class="field">
            <label for={`name-${row.id}`}>Name of {row.name}</label>
            <input id={`name-${row.id}`} value={name}
              onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <button type="button" disabled={busy || name.trim() === row.name}
            onClick={() => act(() => request(path, { method: "PATCH", body: { name: name.trim() } }))}>
            Rename {row.name}
          </button>
          <div class="field">
            <label for={`parent-${row.id}`}>Move {row.name} under</label>
            <select id={`parent-${row.id}`} value={parent}
              onChange={(e) => setParent(e.currentTarget.value)}>
              <option value="">(the top)</option>
              <Options rows={rows} except={row} />
            </select>
          </div>
          <button type="button" disabled={busy || parent === (row.parent ?? "")}
            onClick={() => act(() => request(path, { method: "PATCH", body: { parent: parent || null } }))}>
            Move {row.name}
          </button>
          <button type="button" disabled={busy}
            onClick={() => act(() => request(path, { method: "DELETE" }))}>
            Delete {row.name}
          </button>
        </div>
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}
