//! The catalog: products, live stock, categories, reviews.

use super::super::{
    answer::{events, image, list, one, page},
    body::{body, image_upload, query},
};
use super::{RouteSpec, delete, get, patch, post, put};
use crate::access::Access::{Admin, Authenticated, Public};
use shared::api::{categories, inventory, products, reviews};

pub(super) static ROUTES: &[RouteSpec] = &[
    get(
        "/api/products",
        Public,
        "products",
        "Search, filter, sort and page the catalog",
    )
    .with_query(query::<products::ProductQuery>())
    .answers(page::<products::Product>()),
    get("/api/products/{id}", Public, "products", "One product")
        .answers(one::<products::Product>(200)),
    post("/api/products", Admin, "products", "Add a product")
        .with_body(body::<products::ProductInput>())
        .answers(one::<products::Product>(201)),
    put("/api/products/{id}", Admin, "products", "Replace a product")
        .with_body(body::<products::ProductInput>())
        .answers(one::<products::Product>(200)),
    delete("/api/products/{id}", Admin, "products", "Remove a product")
        .answers(one::<products::Deleted>(200)),
    post(
        "/api/products/{id}/images",
        Admin,
        "products",
        "Upload an image of the product (multipart/form-data: file, alt): 201, or 200 when it \
         already has these bytes; 409 at 8 images",
    )
    .with_form(image_upload())
    .answers(one::<products::Product>(201).or(200)),
    get(
        "/api/products/{id}/images/{imageId}",
        Public,
        "products",
        "An image of the product: its bytes, cached for a year (304 for If-None-Match)",
    )
    .answers(image()),
    delete(
        "/api/products/{id}/images/{imageId}",
        Admin,
        "products",
        "Remove an image of the product",
    )
    .answers(one::<products::Product>(200)),
    get(
        "/api/products/{id}/variants",
        Public,
        "products",
        "The product's variants (colours and sizes), oldest first: each with its own id, SKU, \
         stock and price; an order line names a variant by its id",
    )
    .answers(list::<products::Variant>()),
    post(
        "/api/products/{id}/variants",
        Admin,
        "products",
        "Add a variant: 201 with it as a product; 409 for a SKU or a colour and size another \
         variant of the product has; the product itself is no longer sold while it has variants",
    )
    .with_body(body::<products::VariantInput>())
    .answers(one::<products::Product>(201)),
    put(
        "/api/products/{id}/variants/{variantId}",
        Admin,
        "products",
        "Change a variant's SKU, options, stock and price",
    )
    .with_body(body::<products::VariantInput>())
    .answers(one::<products::Product>(200)),
    delete(
        "/api/products/{id}/variants/{variantId}",
        Admin,
        "products",
        "Remove a variant (orders that hold it keep it)",
    )
    .answers(one::<products::Deleted>(200)),
    get(
        "/api/products/{id}/inventory",
        Public,
        "inventory",
        "Where the product's units are: every location, in the order reservations take from them",
    )
    .answers(one::<inventory::Inventory>(200)),
    put(
        "/api/products/{id}/inventory",
        Admin,
        "inventory",
        "Spread the product's units over locations (one left out holds none; 422 unknown location)",
    )
    .with_body(body::<inventory::InventoryInput>())
    .answers(one::<inventory::Inventory>(200)),
    get(
        "/api/locations",
        Public,
        "inventory",
        "The warehouses and stores, in the order reservations take from them",
    )
    .answers(list::<inventory::Location>()),
    post(
        "/api/locations",
        Admin,
        "inventory",
        "Add a warehouse or a store (409 for an id taken)",
    )
    .with_body(body::<inventory::LocationInput>())
    .answers(one::<inventory::Location>(201)),
    patch(
        "/api/locations/{locationId}",
        Admin,
        "inventory",
        "Rename a location, make it a warehouse or a store, or move it in the taking order",
    )
    .with_body(body::<inventory::LocationPatch>())
    .answers(one::<inventory::Location>(200)),
    delete(
        "/api/locations/{locationId}",
        Admin,
        "inventory",
        "Remove a location (409 for the main warehouse, and while a product keeps units there or \
         an order holds units taken from there)",
    )
    .answers(one::<products::Deleted>(200)),
    get(
        "/api/products/{id}/stock/stream",
        Public,
        "live",
        "Server-sent events: the product's stock and stockStatus, then every change",
    )
    .answers(events()),
    get(
        "/api/categories",
        Public,
        "categories",
        "The category tree: top level first, children nested",
    )
    .answers(list::<categories::CategoryNode>()),
    get(
        "/api/categories/{id}",
        Public,
        "categories",
        "One category with its path from the top",
    )
    .answers(one::<categories::CategoryDetail>(200)),
    post(
        "/api/categories",
        Admin,
        "categories",
        "Add a category, at the top or under a parent (422 unknown parent, 409 slug taken)",
    )
    .with_body(body::<categories::CategoryInput>())
    .answers(one::<categories::CategoryDetail>(201)),
    patch(
        "/api/categories/{id}",
        Admin,
        "categories",
        "Rename or move a category (422 for a move under itself or a category under it)",
    )
    .with_body(body::<categories::CategoryPatch>())
    .answers(one::<categories::CategoryDetail>(200)),
    delete(
        "/api/categories/{id}",
        Admin,
        "categories",
        "Delete an empty category (409 while categories or products are in it)",
    )
    .answers(one::<products::Deleted>(200)),
    get(
        "/api/products/{id}/reviews",
        Public,
        "reviews",
        "A product's visible reviews, paged",
    )
    .with_query(query::<reviews::ReviewQuery>())
    .answers(page::<reviews::Review>()),
    post(
        "/api/products/{id}/reviews",
        Authenticated,
        "reviews",
        "Review a product the caller received (403 otherwise, 409 for a second review)",
    )
    .with_body(body::<reviews::ReviewInput>())
    .answers(one::<reviews::Review>(201)),
    put(
        "/api/products/{id}/reviews/mine",
        Authenticated,
        "reviews",
        "Edit the caller's review",
    )
    .with_body(body::<reviews::ReviewInput>())
    .answers(one::<reviews::Review>(200)),
    patch(
        "/api/products/{id}/reviews/{reviewId}",
        Admin,
        "reviews",
        "Hide a review (or show it again)",
    )
    .with_body(body::<reviews::ReviewVisibility>())
    .answers(one::<reviews::Review>(200)),
];
