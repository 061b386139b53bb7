// The shop's shapes as the API gives them (catalog, inventory, cart, checkout, orders) and the
// calls and helpers that go with them: a cart line's quantity, checkout with its idempotency
// key, a product's picture and money as shown. The client itself is `api.ts`.

import { request } from "./api";

/** A product's units in one location (`GET /products/{id}/inventory`). */
export interface LocationLevel {
  id: string;
  name: string;
  kind: "warehouse" | "store";
  stock: number;
}

export interface Inventory {
  productId: string;
  total: number;
  locations: LocationLevel[];
}

/** The picture to show for a product: its first uploaded image. An `imageUrl` elsewhere is
 * not shown: the page's Content-Security-Policy takes images from this origin only, so a
 * third-party host cannot see who browses the shop. */
export function picture(p: Product): { url: string; alt: string } | null {
  const first = p.images?.[0];
  return first ? { url: first.url, alt: first.alt || p.name } : null;
}

/** An image uploaded for a product; `url` is on this origin and never changes. */
export interface ProductImage {
  id: string;
  url: string;
  alt: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

export interface Product {
  id: string;
  name: string;
  description?: string;
  price: number;
  category: string;
  brand?: string | null;
  tags?: string[];
  stock: number;
  imageUrl?: string | null;
  /** Uploaded images, the main one first. */
  images?: ProductImage[];
  /** The visible reviews' average (null without any) and count. */
  rating?: { average: number | null; count: number } | null;
  /** On a product sold in colours and sizes: each variant (its own id is what a cart names). */
  variants?: Variant[];
  /** The colours and sizes its variants come in. */
  colors?: string[];
  sizes?: string[];
  /** On a variant: the product it belongs to, and its options. */
  variant?: { productId: string; sku: string; color: string | null; size: string | null; label: string };
}

/** One variant of a product, as the product lists it. */
export interface Variant {
  id: string;
  sku: string;
  color: string | null;
  size: string | null;
  label: string;
  price: number;
  stock: number;
  stockStatus: "in_stock" | "low_stock" | "out_of_stock";
}

export interface CartLine {
  productId: string;
  name: string;
  /** null when the product was deleted (the line is flagged, not dropped). */
  price: number | null;
  quantity: number;
  subtotal: number | null;
  inStock: boolean;
  available: boolean;
}

export interface Quote {
  subtotal: number;
  couponDiscount: number;
  tierDiscount: number;
  pointsDiscount: number;
  shipping: number;
  tax: number;
  total: number;
}

export interface Cart {
  items: CartLine[];
  quote: Quote;
}

export interface Address {
  street: string;
  city: string;
  zipCode: string;
  country: string;
}

export interface SavedAddress extends Address {
  id: string;
  label?: string;
  isDefault?: boolean;
}

export interface HistoryEntry {
  index: number;
  status: string;
  at: string;
  note?: string;
}

export interface Order {
  id: string;
  customerId: string;
  status: string;
  items: { productId: string; name: string; price: number; quantity: number; subtotal: number }[];
  total: number;
  quote?: Quote;
  shippingAddress?: Address;
  statusHistory: HistoryEntry[];
  rejectionReason?: string;
  payment?: { brand: string; last4: string; status: string; declineReason?: string };
  cancellationReason?: string;
  createdAt: string;
  estimatedDelivery?: string;
  carrier?: string;
  trackingNumber?: string;
  version: number;
}

export const setQuantity = (productId: string, quantity: number) =>
  request<Cart>(`/cart/items/${encodeURIComponent(productId)}`, {
    method: "PUT",
    body: { quantity },
  });

/** What `POST /checkout` takes: where to ship, how to pay, points to redeem. */
export interface CheckoutBody {
  shippingAddress?: Address;
  shippingAddressId?: string;
  card?: { number: string; expMonth: number; expYear: number; cvc: string; holder?: string };
  paymentMethodId?: string;
  redeemPoints?: number;
}

/** `POST /checkout` with a fresh key per attempt; the caller keeps the key for its retries. */
export const checkout = (body: CheckoutBody, idempotencyKey: string) =>
  request<Order>("/checkout", {
    method: "POST",
    body,
    headers: { "Idempotency-Key": idempotencyKey },
  });

export function newKey(): string {
  return crypto.randomUUID();
}

/** Money as the API sends it (a number with at most two decimals), shown in dollars. */
export function money(amount: number | undefined): string {
  const value = amount ?? 0;
  return `${value < 0 ? "-" : ""}$${Math.abs(value).toFixed(2)}`;
}
