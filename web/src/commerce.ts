// The commerce calls (issue 15's API): saved addresses and cards, loyalty, the cart's coupon,
// the admin's coupons and catalog writes, and the points preview of the checkout's quote,
// which prices points exactly as order-service does (the cart's quote has none: points are
// only chosen at checkout).

import { get, request, upload } from "./api";
import {
  type Address,
  type Cart,
  type Inventory,
  type Product,
  type Quote,
  type SavedAddress,
} from "./shop";

// --- saved addresses ----------------------------------------------------------------------

export const addresses = () => get<SavedAddress[]>("/customers/me/addresses");

export const saveAddress = (address: Address & { label?: string; isDefault?: boolean }) =>
  request<SavedAddress>("/customers/me/addresses", { method: "POST", body: address });

export const defaultAddress = (id: string) =>
  request<SavedAddress>(`/customers/me/addresses/${id}`, {
    method: "PATCH",
    body: { isDefault: true },
  });

export const deleteAddress = (id: string) =>
  request(`/customers/me/addresses/${id}`, { method: "DELETE" });

// --- saved cards ----------------------------------------------------------------------------

export interface Card {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  isDefault: boolean;
}

/** A card as typed: the number and cvc go to the API once, to be tokenised, never kept. */
export interface NewCard {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  holder?: string;
}

export const cards = () => get<Card[]>("/customers/me/payment-methods");

export const saveCard = (card: NewCard, makeDefault = false) =>
  request<Card>("/customers/me/payment-methods", {
    method: "POST",
    body: { card, makeDefault },
  });

export const defaultCard = (id: string) =>
  request<Card>(`/customers/me/payment-methods/${id}`, {
    method: "PATCH",
    body: { makeDefault: true },
  });

export const deleteCard = (id: string) =>
  request(`/customers/me/payment-methods/${id}`, { method: "DELETE" });

/** `MM/YY` (or `MM/YYYY`) as the API's month and four-digit year; null when it is not one. */
export function expiry(text: string): { expMonth: number; expYear: number } | null {
  const match = text.trim().match(/^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/);
  if (!match) return null;
  const month = Number(match[1]);
  const year = Number(match[2]) + (match[2].length === 2 ? 2000 : 0);
  return month >= 1 && month <= 12 ? { expMonth: month, expYear: year } : null;
}

// --- loyalty --------------------------------------------------------------------------------

export interface LoyaltyMove {
  at: string;
  points: number;
  reason: string;
  orderId?: string;
  note?: string;
}

export interface Loyalty {
  points: number;
  lifetimePoints: number;
  held: number;
  tier: string;
  nextTier?: { name: string; pointsNeeded: number } | null;
  history: LoyaltyMove[];
}

export const loyalty = () => get<Loyalty>("/loyalty");

// --- the cart's coupon ----------------------------------------------------------------------

export interface CartCoupon {
  code: string;
  applies: boolean;
  discount: number;
  reason?: string;
  message?: string;
}

export type PricedCart = Cart & { coupon?: CartCoupon | null };

export const applyCoupon = (code: string) =>
  request<PricedCart>("/cart/coupon", { method: "POST", body: { code } });

export const removeCoupon = () => request<PricedCart>("/cart/coupon", { method: "DELETE" });

/** Why a coupon cannot be used, in words, from the 422's `details.reason`. */
export const COUPON_REASONS: Record<string, string> = {
  unknown: "There is no coupon with that code.",
  expired: "This coupon has expired.",
  not_yet_valid: "This coupon is not valid yet.",
  below_minimum: "Your cart is below this coupon's minimum.",
  used_up: "This coupon has been used up.",
  per_customer_limit: "You have already used this coupon as often as it allows.",
  tier_too_low: "This coupon needs a higher loyalty tier.",
  paused: "This coupon is paused.",
};

// --- the points preview ---------------------------------------------------------------------

const cents = (amount: number) => Math.round(amount * 100);
const SHIPPING = 599;
const FREE_SHIPPING_FROM = 5000;

/** What is left to pay on the lines after the coupon and the tier: the most points can take. */
export function redeemable(quote: Quote): number {
  return Math.max(0, cents(quote.subtotal) - cents(quote.couponDiscount) - cents(quote.tierDiscount));
}

/**
 * The cart's quote with `points` redeemed, as order-service's `Quote::with_points` prices it:
 * points (one a cent) off what is left after the coupon and the tier, then shipping (free from
 * 50.00, or by a free-shipping coupon) and 8 % tax, half-up to the cent.
 */
export function withPoints(quote: Quote, points: number, coupon?: CartCoupon | null): Quote {
  const subtotal = cents(quote.subtotal);
  const left = redeemable(quote);
  const pointsOff = Math.min(Math.max(0, Math.floor(points)), left);
  const discounted = left - pointsOff;
  // The cart does not say a coupon's kind: one that applies yet takes nothing off the lines is
  // a free-shipping one (its `discount` is the shipping saved, 0 above the threshold), and a
  // quote with no shipping below the threshold has one too.
  const freeByCoupon =
    (!!coupon?.applies && cents(quote.couponDiscount) === 0 && subtotal > 0) ||
    (cents(quote.shipping) === 0 && subtotal > 0 && left < FREE_SHIPPING_FROM);
  const shipping = subtotal === 0 || freeByCoupon || discounted >= FREE_SHIPPING_FROM ? 0 : SHIPPING;
  const taxable = discounted + shipping;
  const tax = Math.floor((taxable * 8 + 50) / 100);
  return {
    ...quote,
    pointsDiscount: pointsOff / 100,
    shipping: shipping / 100,
    tax: tax / 100,
    total: (taxable + tax) / 100,
  };
}

// --- admin: coupons and the catalog ---------------------------------------------------------

export interface Coupon {
  code: string;
  kind: "percent" | "fixed" | "free_shipping";
  value?: number | null;
  minSubtotal?: number | null;
  usageLimit?: number | null;
  minTier?: string | null;
  active: boolean;
  used: number;
  validUntil?: string | null;
}

export const coupons = () => get<Coupon[]>("/coupons");

export const createCoupon = (body: Record<string, unknown>) =>
  request<Coupon>("/coupons", { method: "POST", body });

export const patchCoupon = (code: string, body: Record<string, unknown>) =>
  request<Coupon>(`/coupons/${encodeURIComponent(code)}`, { method: "PATCH", body });

export const deleteCoupon = (code: string) =>
  request(`/coupons/${encodeURIComponent(code)}`, { method: "DELETE" });

/** `PUT /products/{id}` replaces the whole product: exactly the input's fields, nothing more. */
export interface ProductInput {
  name: string;
  description?: string;
  price: number;
  category: string;
  brand?: string;
  tags?: string[];
  imageUrl?: string;
  stock: number;
  lowStockThreshold?: number;
}

export const productInput = (p: Product & { lowStockThreshold?: number }): ProductInput => ({
  name: p.name,
  description: p.description || undefined,
  price: p.price,
  category: p.category,
  brand: p.brand || undefined,
  tags: p.tags,
  imageUrl: p.imageUrl || undefined,
  stock: p.stock,
  lowStockThreshold: p.lowStockThreshold ?? undefined,
});

/** `POST /products/{id}/images`: one image file and its text; the product as it then is. */
export const uploadImage = (id: string, file: File, alt: string) => {
  const form = new FormData();
  form.append("file", file);
  if (alt.trim()) form.append("alt", alt.trim());
  return upload<Product>(`/products/${id}/images`, form);
};

/** `PUT /products/{id}/inventory`: the units in each location (one left out holds none). */
export const setInventory = (id: string, levels: { id: string; stock: number }[]) =>
  request<Inventory>(`/products/${id}/inventory`, { method: "PUT", body: { locations: levels } });

/** A variant's SKU, options, stock and (optionally) its own price. */
export interface VariantInput {
  sku: string;
  color?: string;
  size?: string;
  price?: number;
  stock: number;
}

/** `POST /products/{id}/variants`: the new variant, as a product. */
export const addVariant = (id: string, body: VariantInput) =>
  request<Product>(`/products/${id}/variants`, { method: "POST", body });

/** `PUT /products/{id}/variants/{variantId}`. */
export const updateVariant = (id: string, variantId: string, body: VariantInput) =>
  request<Product>(`/products/${id}/variants/${variantId}`, { method: "PUT", body });

/** `DELETE /products/{id}/variants/{variantId}`. */
export const removeVariant = (id: string, variantId: string) =>
  request(`/products/${id}/variants/${variantId}`, { method: "DELETE" });

export const removeImage = (id: string, imageId: string) =>
  request<Product>(`/products/${id}/images/${imageId}`, { method: "DELETE" });

export const createProduct = (body: ProductInput) =>
  request<Product>("/products", { method: "POST", body });

export const replaceProduct = (id: string, body: ProductInput) =>
  request<Product>(`/products/${id}`, { method: "PUT", body });

export const deleteProduct = (id: string) => request(`/products/${id}`, { method: "DELETE" });
