// The after-sales calls (issues 16 and 17): returns (order-service), reviews (product-service)
// and a customer's notifications and mail preferences (alert-service), with their JSON shapes
// as the services' READMEs give them.

import { type Meta, get, request } from "./api";
import { type Address, type Order } from "./shop";

// --- returns --------------------------------------------------------------------------------

export const RETURN_STATUSES = ["REQUESTED", "APPROVED", "RECEIVED", "REFUNDED", "REJECTED"];

export interface ReturnLine {
  productId: string;
  name: string;
  price: number;
  quantity: number;
}

export interface Return {
  id: string;
  orderId: string;
  customerId: string;
  status: string;
  items: ReturnLine[];
  reason: string;
  /** The refund owed (decided when the return was asked for). */
  amount: number;
  history: { index: number; status: string; at: string; note?: string }[];
  refundRef?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** `GET /orders/:id` shows the order's returns with it. */
export type OrderWithReturns = Order & { returns?: Return[] };

/** How many of each product of `order` may still be returned: bought less every return not rejected. */
export function returnable(order: OrderWithReturns): Map<string, number> {
  const left = new Map(order.items.map((line) => [line.productId, line.quantity]));
  for (const r of order.returns ?? []) {
    if (r.status === "REJECTED") continue;
    for (const line of r.items) {
      left.set(line.productId, Math.max(0, (left.get(line.productId) ?? 0) - line.quantity));
    }
  }
  return left;
}

export const requestReturn = (
  orderId: string,
  items: { productId: string; quantity: number }[],
  reason: string,
) => request<Return>(`/orders/${orderId}/returns`, { method: "POST", body: { items, reason } });

export const listReturns = (params: { status?: string; page?: number; limit?: number } = {}) => {
  const query = new URLSearchParams();
  if (params.status) query.set("status", params.status);
  query.set("page", String(params.page ?? 1));
  query.set("limit", String(params.limit ?? 20));
  return request<Return[]>(`/returns?${query}`);
};

/** An admin's step: `approve`, `reject` or `receive`, with an optional note. */
export const moveReturn = (id: string, action: "approve" | "reject" | "receive", note?: string) =>
  request<Return>(`/returns/${id}/${action}`, {
    method: "POST",
    body: note?.trim() ? { note: note.trim() } : {},
  });

/** Why a return was refused (422 `details.code`), in words. */
export const RETURN_REFUSALS: Record<string, string> = {
  not_delivered: "Only a delivered order can be returned.",
  window_closed: "The 30 days to return this order have passed.",
  not_in_order: "That product is not part of this order.",
  too_many: "That is more than is left to return of this order.",
};

// --- reviews --------------------------------------------------------------------------------

export interface Rating {
  /** Rounded half up to two decimals; null without reviews. */
  average: number | null;
  count: number;
}

export interface Review {
  id: string;
  productId: string;
  customerId: string;
  rating: number;
  title?: string | null;
  body: string;
  hidden: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ReviewInput {
  rating: number;
  title?: string;
  body: string;
}

export const reviewsOf = (productId: string, sort: string, page: number, limit = 5) =>
  request<Review[]>(`/products/${productId}/reviews?sort=${sort}&page=${page}&limit=${limit}`);

export const writeReview = (productId: string, review: ReviewInput) =>
  request<Review>(`/products/${productId}/reviews`, { method: "POST", body: review });

export const editReview = (productId: string, review: ReviewInput) =>
  request<Review>(`/products/${productId}/reviews/mine`, { method: "PUT", body: review });

export const setHidden = (productId: string, reviewId: string, hidden: boolean) =>
  request<Review>(`/products/${productId}/reviews/${reviewId}`, {
    method: "PATCH",
    body: { hidden },
  });

/**
 * The caller's own review of a product, if it is visible: the API has no "mine" read, so the
 * visible reviews are paged through (at most five pages of 100).
 */
export async function myReview(productId: string, customerId: string): Promise<Review | null> {
  for (let page = 1; page <= 5; page++) {
    const { data, meta } = await reviewsOf(productId, "recent", page, 100);
    const mine = data.find((r) => r.customerId === customerId);
    if (mine) return mine;
    if (!meta || page * meta.limit >= meta.total) break;
  }
  return null;
}

// --- notifications --------------------------------------------------------------------------

export interface Notification {
  id: string;
  kind: string;
  category: "orders" | "payments" | "loyalty" | "wishlist";
  title: string;
  message: string;
  orderId?: string | null;
  details: Record<string, unknown>;
  read: boolean;
  readAt?: string | null;
  createdAt: string;
}

export type NotificationMeta = Meta & { unread: number };

export const notifications = (page = 1, limit = 20, unreadOnly = false) =>
  request<Notification[]>(
    `/notifications?page=${page}&limit=${limit}${unreadOnly ? "&unread=true" : ""}`,
  ) as Promise<{ data: Notification[]; meta?: NotificationMeta }>;

export const markRead = (id: string) =>
  request<Notification>(`/notifications/${id}/read`, { method: "POST" });

export const markAllRead = () =>
  request<{ marked: number }>("/notifications/read-all", { method: "POST" });

export interface MailPreferences {
  email: { orders: boolean; payments: boolean; loyalty: boolean; wishlist: boolean };
}

export const preferences = () => get<MailPreferences>("/notifications/preferences");

export const changePreferences = (email: Partial<MailPreferences["email"]>) =>
  request<MailPreferences>("/notifications/preferences", { method: "PATCH", body: { email } });

// --- subscriptions --------------------------------------------------------------------------

export const SUBSCRIPTION_STATUSES = ["ACTIVE", "PAUSED", "CANCELLED"];

export interface SubscriptionRun {
  n: number;
  at: string;
  /** The order placed, or null while it is being placed or when it was refused. */
  orderId: string | null;
  /** Why no order was placed, or null. */
  error: string | null;
}

export interface Subscription {
  id: string;
  customerId: string;
  items: { productId: string; quantity: number }[];
  intervalDays: number;
  status: "ACTIVE" | "PAUSED" | "CANCELLED";
  /** `PAYMENT_DECLINED: card_declined`, `ORDER_REFUSED: ...`, `CUSTOMER`, or null. */
  pauseReason: string | null;
  paymentMethodId: string;
  card: { brand: string; last4: string };
  shippingAddressId: string;
  shippingAddress: Address;
  nextRunAt: string;
  runs: SubscriptionRun[];
  version: number;
  createdAt: string;
}

export const subscribe = (body: {
  items: { productId: string; quantity: number }[];
  intervalDays: number;
  paymentMethodId: string;
  shippingAddressId: string;
}) => request<Subscription>("/subscriptions", { method: "POST", body });

export const listSubscriptions = (page = 1, limit = 10) =>
  request<Subscription[]>(`/subscriptions?page=${page}&limit=${limit}`);

/** A customer's move: `pause`, `resume` or `cancel` (409 in words when the status forbids it). */
export const moveSubscription = (id: string, action: "pause" | "resume" | "cancel") =>
  request<Subscription>(`/subscriptions/${id}/${action}`, { method: "POST" });

/** Why a subscription is paused, in words. */
export function pauseReason(reason: string | null): string {
  if (!reason || reason === "CUSTOMER") return "You paused it.";
  if (reason.startsWith("PAYMENT_DECLINED")) {
    return "Your card was declined on the last run, so it is paused. Resume it once the card works, or subscribe again with another card.";
  }
  if (reason.startsWith("ORDER_REFUSED")) {
    const why = reason.slice("ORDER_REFUSED".length).replace(/^:\s*/, "");
    return `The last order could not be placed${why ? ` (${why})` : ""}, so it is paused.`;
  }
  return `Paused: ${reason}`;
}
