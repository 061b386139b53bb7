// Catalog editing: find products, change a price or the stock (`PUT /products/{id}` with the
// product's other fields as they are), delete one, add one. Each row keeps its own draft and
// error, so one refused save does not disturb the others.

import { useEffect, useState } from "preact/hooks";
import { request } from "../api";
import { type Inventory, type Product, money } from "../shop";
import {
  createProduct,
  deleteProduct,
  productInput,
  removeImage,
  replaceProduct,
  setInventory,
  uploadImage,
} from "../commerce";
import { ErrorNote, Field, Loading } from "../ui";
import { Variants } from "./variants";

const DRAFT = { name: "", category: "", price: "", stock: "", description: "" };

export function CatalogEditor() {
  const [items, setItems] = useState<Product[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [draft, setDraft] = useState(DRAFT);
  const [busy, setBusy] = useState(false);

  const read = async () => {
    const params = new URLSearchParams({ limit: "50", sort: query ? "relevance" : "-createdAt" });
    if (query) params.set("search", query);
    try {
      setItems((await request<Product[]>(`/products?${params}`)).data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void read(), [query]);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data } = await createProduct({
        name: draft.name.trim(),
        category: draft.category.trim(),
        price: Number(draft.price),
        stock: Number(draft.stock),
        description: draft.description.trim() || undefined,
      });
      setDraft(DRAFT);
      setItems((list) => [data, ...(list ?? []).filter((p) => p.id !== data.id)]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const set = (part: keyof typeof DRAFT) => (value: string) => setDraft({ ...draft, [part]: value });

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Catalog</h1>
      <form class="filters" role="search" onSubmit={(e) => {
        e.preventDefault();
        setQuery(search.trim());
      }}>
        <div class="field grow">
          <label for="catalog-search">Find products</label>
          <input id="catalog-search" type="search" value={search}
            onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <button type="submit">Find</button>
      </form>
      {!items && !error && <Loading />}
      {items && items.length === 0 && <p>No products match.</p>}
      {items && items.length > 0 && (
        <table class="lines" data-testid="products">
          <caption class="sr-only">Products, with their price and stock</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Price ($)</th>
              <th scope="col">Stock</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <ProductRow key={p.id} product={p}
                onSaved={(next) => setItems((list) => list?.map((x) => (x.id === next.id ? next : x)) ?? null)}
                onDeleted={() => setItems((list) => list?.filter((x) => x.id !== p.id) ?? null)} />
            ))}
          </tbody>
        </table>
      )}
      <form class="card panel" onSubmit={create} aria-labelledby="new-product-title">
        <h2 id="new-product-title">New product</h2>
        <div class="address">
          <Field label="Name" name="productName" required value={draft.name} onInput={set("name")} />
          <Field label="Category" name="productCategory" required value={draft.category}
            onInput={set("category")} />
          <Field label="Price" name="productPrice" type="number" step="0.01" min="0.01" required
            inputMode="decimal" value={draft.price} onInput={set("price")} />
          <Field label="Stock" name="productStock" type="number" min="0" required
            value={draft.stock} onInput={set("stock")} />
          <Field label="Description (optional)" name="productDescription"
            value={draft.description} onInput={set("description")} />
        </div>
        <ErrorNote error={error} />
        <button class="primary" type="submit" disabled={busy}>
          Add product
        </button>
      </form>
    </section>
  );
}

function ProductRow(props: {
  product: Product;
  onSaved: (p: Product) => void;
  onDeleted: () => void;
}) {
  const { product } = props;
  const [price, setPrice] = useState(String(product.price));
  const [stock, setStock] = useState(String(product.stock));
  // Saving the locations moves the stock: the field follows.
  useEffect(() => setStock(String(product.stock)), [product.stock]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const run = async (call: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await call();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    run(async () => {
      const body = { ...productInput(product), price: Number(price), stock: Number(stock) };
      const { data } = await replaceProduct(product.id, body);
      props.onSaved(data);
      setSaved(true);
    });
  const changed = price !== String(product.price) || stock !== String(product.stock);
  // Sold in variants: its stock is theirs, set per variant.
  const inVariants = (product.variants ?? []).length > 0;
  return (
    <tr data-product-id={product.id}>
      <th scope="row">
        {product.name}
        <div class="muted">
          {product.category} · now {money(product.price)}, {product.stock} in stock
        </div>
        <ErrorNote error={error} />
        <Images product={product} onChanged={props.onSaved} />
        <Variants product={product} onChanged={props.onSaved} />
        {!inVariants && (
          <Locations product={product} onChanged={(stock) => props.onSaved({ ...product, stock })} />
        )}
      </th>
      <td>
        <label class="sr-only" for={`price-${product.id}`}>
          Price of {product.name}
        </label>
        <input id={`price-${product.id}`} class="price-input" type="number" step="0.01" min="0.01"
          value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
      </td>
      <td>
        <label class="sr-only" for={`stock-${product.id}`}>
          Stock of {product.name}
        </label>
        <input id={`stock-${product.id}`} class="qty" type="number" min="0" value={stock}
          disabled={inVariants} title={inVariants ? "The sum of its variants' stock" : undefined}
          onInput={(e) => setStock(e.currentTarget.value)} />
      </td>
      <td class="actions">
        <button class="small" disabled={busy || !changed} onClick={save}>
          Save<span class="sr-only"> {product.name}</span>
        </button>{" "}
        <button class="small" disabled={busy}
          onClick={() => run(async () => {
            await deleteProduct(product.id);
            props.onDeleted();
          })}>
          Delete<span class="sr-only"> {product.name}</span>
        </button>
        {saved && (
          <span class="ok" role="status">
            {" "}Saved
          </span>
        )}
      </td>
    </tr>
  );
}

/** A product's images: each with a button to remove it, and a form to upload one more
 * (PNG, JPEG, WebP or GIF up to 4 MiB; the API reads the type from the file itself). */
function Images(props: { product: Product; onChanged: (p: Product) => void }) {
  const { product } = props;
  const images = product.images ?? [];
  const [file, setFile] = useState<File | null>(null);
  const [alt, setAlt] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<Product>) => {
    setBusy(true);
    setError(null);
    try {
      props.onChanged(await call());
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const send = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    const form = e.currentTarget as HTMLFormElement;
    if (await run(async () => (await uploadImage(product.id, file, alt)).data)) {
      setFile(null);
      setAlt("");
      form.reset();
    }
  };
  return (
    <details class="images">
      <summary>
        Images ({images.length})<span class="sr-only"> of {product.name}</span>
      </summary>
      {images.length > 0 && (
        <ul class="image-list" aria-label={`Images of ${product.name}`}>
          {images.map((image, n) => (
            <li key={image.id}>
              <img src={image.url} alt={image.alt || `Image ${n + 1} of ${product.name}`} />
              <button class="small" type="button" disabled={busy}
                onClick={() => run(async () => (await removeImage(product.id, image.id)).data)}>
                Remove<span class="sr-only"> image {n + 1} of {product.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={send}>
        <label for={`image-file-${product.id}`}>Image file</label>
        <input id={`image-file-${product.id}`} type="file" required
          accept="image/png,image/jpeg,image/webp,image/gif"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        <label for={`image-alt-${product.id}`}>Description of the image (optional)</label>
        <input id={`image-alt-${product.id}`} maxLength={200} value={alt}
          onInput={(e) => setAlt(e.currentTarget.value)} />
        <button class="small" type="submit" disabled={busy || !file}>
          Upload<span class="sr-only"> an image of {product.name}</span>
        </button>
        <ErrorNote error={error} />
      </form>
    </details>
  );
}

/** A product's units per location: one field per warehouse and store; saving makes the
 * product's stock their sum (the API refuses a location that does not exist). */
function Locations(props: { product: Product; onChanged: (stock: number) => void }) {
  const { product } = props;
  const [inventory, setLoaded] = useState<Inventory | null>(null);
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const load = async () => {
    try {
      const { data } = await request<Inventory>(`/products/${product.id}/inventory`);
      setLoaded(data);
      setDraft(Object.fromEntries(data.locations.map((l) => [l.id, String(l.stock)])));
    } catch (e) {
      setError(e);
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const levels = Object.entries(draft).map(([id, stock]) => ({ id, stock: Number(stock) }));
      const { data } = await setInventory(product.id, levels);
      setLoaded(data);
      setSaved(true);
      props.onChanged(data.total);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="images" onToggle={(e) => (e.currentTarget as HTMLDetailsElement).open && !inventory && load()}>
      <summary>
        Stock by location<span class="sr-only"> of {product.name}</span>
      </summary>
      {inventory && (
        <form onSubmit={save} aria-label={`Stock by location of ${product.name}`}>
          {inventory.locations.map((l) => (
            <div key={l.id}>
              <label for={`at-${product.id}-${l.id}`}>
                {l.name} ({l.kind})
              </label>
              <input id={`at-${product.id}-${l.id}`} class="qty" type="number" min="0"
                value={draft[l.id] ?? "0"}
                onInput={(e) => setDraft({ ...draft, [l.id]: e.currentTarget.value })} />
            </div>
          ))}
          <button class="small" type="submit" disabled={busy}>
            Save locations<span class="sr-only"> of {product.name}</span>
          </button>
          {saved && (
            <span class="ok" role="status">
              {" "}Saved: {inventory.total} in all
            </span>
          )}
        </form>
      )}
      <ErrorNote error={error} />
    </details>
  );
}
