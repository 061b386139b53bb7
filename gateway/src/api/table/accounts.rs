//! Health, sign-in and accounts: auth, customers, addresses, saved cards, loyalty.

use super::super::{
    answer::{list, nothing, one, one_or_page, page},
    body::{body, optional_body, query},
};
use super::{RouteSpec, delete, get, patch, post, put};
use crate::access::Access::{Admin, Authenticated, Public, SuperAdmin};
use shared::api::{audit, auth, customers, health, loyalty, payments};

pub(super) static ROUTES: &[RouteSpec] = &[
    get(
        "/api/health",
        Public,
        "health",
        "The gateway's and every service's health, replica by replica (200 when degraded too)",
    )
    .answers(one::<health::SuiteHealth>(200)),
    post(
        "/api/auth/register",
        Public,
        "auth",
        "Create a customer account and sign in",
    )
    .with_body(body::<auth::Registration>())
    .answers(one::<auth::Session>(201)),
    post(
        "/api/auth/login",
        Public,
        "auth",
        "Sign in: access and refresh tokens",
    )
    .with_body(body::<auth::Credentials>())
    .answers(one::<auth::Session>(200)),
    post(
        "/api/auth/refresh",
        Public,
        "auth",
        "Exchange a refresh token (once) for a new pair",
    )
    .with_body(body::<auth::Refresh>())
    .answers(one::<auth::Session>(200)),
    post(
        "/api/auth/logout",
        Authenticated,
        "auth",
        "Revoke the access token (and the refresh token's family)",
    )
    .with_body(optional_body::<auth::Logout>())
    .answers(nothing()),
    get("/api/auth/me", Authenticated, "auth", "The caller's record")
        .answers(one::<customers::Customer>(200)),
    get(
        "/api/customers",
        Authenticated,
        "customers",
        "A customer by email (own only for customers), or all (admins)",
    )
    .with_query(query::<customers::CustomerQuery>())
    .answers(one_or_page::<customers::Customer>()),
    get(
        "/api/customers/{id}",
        Authenticated,
        "customers",
        "A customer record (own only for customers)",
    )
    .answers(one::<customers::Customer>(200)),
    patch(
        "/api/customers/{id}",
        Authenticated,
        "customers",
        "Change name, phone or address",
    )
    .with_body(body::<customers::CustomerPatch>())
    .answers(one::<customers::Customer>(200)),
    get(
        "/api/customers/me/export",
        Authenticated,
        "customers",
        "Everything kept about the caller (account, addresses, cards as listed, loyalty, \
         wishlist), as a JSON file to keep",
    )
    .answers(one::<customers::CustomerExport>(200)),
    delete(
        "/api/customers/me",
        Authenticated,
        "customers",
        "Erase the caller's account (password asked again; 403 for a wrong one or an admin): \
         personal data goes everywhere, every session ends, orders stay without the street",
    )
    .with_body(body::<customers::Erasure>())
    .answers(nothing()),
    get(
        "/api/customers/me/addresses",
        Authenticated,
        "customers",
        "The caller's saved addresses, oldest first (one is the default)",
    )
    .answers(list::<customers::SavedAddress>()),
    post(
        "/api/customers/me/addresses",
        Authenticated,
        "customers",
        "Save an address (at most 20; the first becomes the default)",
    )
    .with_body(body::<customers::AddressInput>())
    .answers(one::<customers::SavedAddress>(201)),
    patch(
        "/api/customers/me/addresses/{id}",
        Authenticated,
        "customers",
        "Change one of the caller's addresses, or make it the default",
    )
    .with_body(body::<customers::AddressPatch>())
    .answers(one::<customers::SavedAddress>(200)),
    delete(
        "/api/customers/me/addresses/{id}",
        Authenticated,
        "customers",
        "Delete one of the caller's addresses (the oldest left becomes the default)",
    )
    .answers(list::<customers::SavedAddress>()),
    get(
        "/api/customers/me/payment-methods",
        Authenticated,
        "customers",
        "The caller's saved cards (brand, last four, expiry; one is the default)",
    )
    .answers(list::<payments::PaymentMethod>()),
    post(
        "/api/customers/me/payment-methods",
        Authenticated,
        "customers",
        "Save a card, tokenised by the payment provider (at most 10; the first is the default)",
    )
    .with_body(body::<payments::NewPaymentMethod>())
    .answers(one::<payments::PaymentMethod>(201)),
    patch(
        "/api/customers/me/payment-methods/{id}",
        Authenticated,
        "customers",
        "Make one of the caller's cards the default",
    )
    .with_body(body::<payments::PaymentMethodPatch>())
    .answers(one::<payments::PaymentMethod>(200)),
    delete(
        "/api/customers/me/payment-methods/{id}",
        Authenticated,
        "customers",
        "Delete one of the caller's cards (the newest left becomes the default)",
    )
    .answers(list::<payments::PaymentMethod>()),
    get(
        "/api/loyalty",
        Authenticated,
        "loyalty",
        "The caller's points, tier, next tier and history",
    )
    .answers(one::<loyalty::LoyaltyAccount>(200)),
    get(
        "/api/loyalty/tiers",
        Public,
        "loyalty",
        "The loyalty tiers: lifetime points needed and discount",
    )
    .answers(list::<loyalty::Tier>()),
    post(
        "/api/customers/{id}/loyalty/adjustments",
        Admin,
        "loyalty",
        "Add or take a customer's points, once per Idempotency-Key or id",
    )
    .with_body(body::<loyalty::Adjustment>())
    .answers(one::<loyalty::LoyaltyAccount>(201).or(200)),
    put(
        "/api/customers/{id}/role",
        SuperAdmin,
        "staff",
        "Make an account an admin or a customer again (the super admin); its sessions end",
    )
    .with_body(body::<customers::RoleChange>())
    .answers(one::<customers::Customer>(200)),
    post(
        "/api/customers/{id}/disable",
        SuperAdmin,
        "staff",
        "Disable an account (the super admin): signed out everywhere, no sign-in until enabled",
    )
    .with_body(body::<customers::Disabling>())
    .answers(one::<customers::Customer>(200)),
    post(
        "/api/customers/{id}/enable",
        SuperAdmin,
        "staff",
        "Enable a disabled account again (the super admin)",
    )
    .answers(one::<customers::Customer>(200)),
    get(
        "/api/admin/audit",
        SuperAdmin,
        "staff",
        "The audit log of what staff did, newest first (the super admin)",
    )
    .with_query(query::<audit::AuditQuery>())
    .answers(page::<audit::AuditEntry>()),
];
