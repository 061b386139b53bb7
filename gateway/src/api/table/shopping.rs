//! Shopping: cart, wishlist, coupons, checkout, and following an order live.

use super::super::{
    answer::{events, list, nothing, one, upgrade},
    body::{body, optional_body},
};
use super::{RouteSpec, delete, get, patch, post, put};
use crate::access::Access::{Admin, Authenticated};
use shared::api::{cart, checkout, coupons, orders, wishlist};

pub(super) static ROUTES: &[RouteSpec] = &[
    get("/api/cart", Authenticated, "cart", "The caller's cart, priced now, with its quote")
        .answers(one::<cart::Cart>(200)),
    put(
        "/api/cart/items/{productId}",
        Authenticated,
        "cart",
        "Set how many of a product the cart holds (0 removes it)",
    )
    .with_body(body::<cart::CartQuantity>())
    .answers(one::<cart::Cart>(200)),
    delete("/api/cart/items/{productId}", Authenticated, "cart", "Remove a product from the cart")
        .answers(one::<cart::Cart>(200)),
    delete("/api/cart", Authenticated, "cart", "Empty the cart")
        .answers(one::<cart::Cart>(200)),
    post("/api/cart/coupon", Authenticated, "cart", "Apply a coupon to the cart (422 naming why not)")
        .with_body(body::<coupons::CartCoupon>())
        .answers(one::<cart::Cart>(200)),
    delete("/api/cart/coupon", Authenticated, "cart", "Take the coupon off the cart")
        .answers(one::<cart::Cart>(200)),
    get("/api/wishlist", Authenticated, "wishlist", "The caller's wished products, newest first")
        .answers(list::<wishlist::WishlistItem>()),
    put(
        "/api/wishlist/{productId}",
        Authenticated,
        "wishlist",
        "Wish a product (201; 200 when already wished; 404 unknown product; at most 100; body optional)",
    )
    .with_body(optional_body::<wishlist::WishlistAdd>())
    .answers(one::<wishlist::WishlistItem>(201).or(200)),
    delete(
        "/api/wishlist/{productId}",
        Authenticated,
        "wishlist",
        "Stop wishing a product: the list left",
    )
    .answers(list::<wishlist::WishlistItem>()),
    post("/api/coupons", Admin, "coupons", "Create a coupon (a code is unique in any case)")
        .with_body(body::<coupons::CouponInput>())
        .answers(one::<coupons::Coupon>(201)),
    get("/api/coupons", Admin, "coupons", "Every coupon with how often it was used")
        .answers(list::<coupons::Coupon>()),
    get("/api/coupons/{code}", Admin, "coupons", "One coupon with how often it was used")
        .answers(one::<coupons::Coupon>(200)),
    patch("/api/coupons/{code}", Admin, "coupons", "Change, pause or resume a coupon")
        .with_body(body::<coupons::CouponPatch>())
        .answers(one::<coupons::Coupon>(200)),
    delete("/api/coupons/{code}", Admin, "coupons", "Delete a coupon")
        .answers(nothing()),
    post(
        "/api/checkout",
        Authenticated,
        "cart",
        "Turn the cart into one order and empty it (honours Idempotency-Key; body optional)",
    )
    .with_body(optional_body::<checkout::Checkout>())
    .answers(one::<orders::Order>(201)),
    get(
        "/api/orders/{id}/stream",
        Authenticated,
        "live",
        "Server-sent events: the order, then every change",
    )
    .answers(events()),
    get(
        "/api/ws/orders",
        Authenticated,
        "live",
        "WebSocket: subscribe to one order or all of yours",
    )
    .answers(upgrade()),
];
