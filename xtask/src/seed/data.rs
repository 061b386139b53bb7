//! The seed data: `xtask/seed/products.json` and `xtask/seed/customers.json`, embedded in the
//! binary, read into typed values (every field checked, unknown fields refused, so a typo in a
//! file fails here rather than as a 400 halfway through a seed), and written back as the
//! bodies of `POST /api/products` and `POST /api/auth/register`.

use serde::{Serialize, Serializer};
use serde_json::{Value, value::RawValue};

/// The catalog, in the order it is created.
const PRODUCTS: &str = include_str!("../../seed/products.json");
/// The customers, in the order they are registered.
const CUSTOMERS: &str = include_str!("../../seed/customers.json");

/// The demo customer of DESIGN.md, whose login `up` prints.
pub const DEMO_EMAIL: &str = "demo@example.com";

/// One catalog entry, as `POST /products` takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Display name.
    pub name: String,
    /// A sentence or two.
    pub description: String,
    /// The price in cents (exact; written as a number with two decimals).
    #[serde(rename = "price", serialize_with = "exact")]
    pub price_cents: u64,
    /// Category name.
    pub category: String,
    /// Lowercase tags.
    pub tags: Vec<String>,
    /// `https://images.example.com/<slug>.jpg`.
    pub image_url: String,
    /// Units in stock.
    pub stock: u64,
    /// The stock level at or below which the product counts as low.
    pub low_stock_threshold: u64,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country.
    pub country: String,
}

/// One customer account, as `POST /auth/register` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Display name.
    pub name: String,
    /// Login e-mail.
    pub email: String,
    /// Password (demo data: printed, never a real secret).
    pub password: String,
    /// Phone number.
    pub phone: String,
    /// Postal address.
    pub address: Address,
}

/// The embedded catalog.
pub fn products() -> Result<Vec<Product>, String> {
    parse_list(PRODUCTS, "xtask/seed/products.json", Product::read)
}

/// The embedded customers.
pub fn customers() -> Result<Vec<Customer>, String> {
    parse_list(CUSTOMERS, "xtask/seed/customers.json", Customer::read)
}

impl Product {
    fn read(item: &Value) -> Result<Self, String> {
        let fields = Fields::new(
            item,
            &[
                "name",
                "description",
                "price",
                "category",
                "tags",
                "imageUrl",
                "stock",
                "lowStockThreshold",
            ],
        )?;
        Ok(Self {
            name: fields.string("name")?,
            description: fields.string("description")?,
            price_cents: cents(fields.number("price")?).map_err(|e| format!("price: {e}"))?,
            category: fields.string("category")?,
            tags: fields.strings("tags")?,
            image_url: fields.string("imageUrl")?,
            stock: fields.count("stock")?,
            low_stock_threshold: fields.count("lowStockThreshold")?,
        })
    }

    /// The body of `POST /products`, the price written exactly from the cents.
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("strings and numbers always serialize")
    }
}

/// `price_cents` as the JSON number `19.99`, written from the integer (never through f64).
fn exact<S: Serializer>(cents: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    RawValue::from_string(decimal(*cents))
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
}

/// Cents as a decimal with two places: `1999` → `19.99`, `500` → `5.00`.
pub fn decimal(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

impl Customer {
    fn read(item: &Value) -> Result<Self, String> {
        let fields = Fields::new(item, &["name", "email", "password", "phone", "address"])?;
        let address = fields.get("address")?;
        let parts = Fields::new(address, &["street", "city", "zipCode", "country"])
            .map_err(|e| format!("address: {e}"))?;
        let part = |name: &str| parts.string(name).map_err(|e| format!("address.{e}"));
        Ok(Self {
            name: fields.string("name")?,
            email: fields.string("email")?,
            password: fields.string("password")?,
            phone: fields.string("phone")?,
            address: Address {
                street: part("street")?,
                city: part("city")?,
                zip_code: part("zipCode")?,
                country: part("country")?,
            },
        })
    }

    /// The body of `POST /auth/register`.
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("strings always serialize")
    }
}

/// A top-level array, each item read by `read`; errors name the file and the item.
fn parse_list<T>(
    text: &str,
    file: &str,
    read: fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let items = json
        .as_array()
        .ok_or_else(|| format!("{file}: expected an array at the top level"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            read(item).map_err(|e| {
                let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
                format!("{file}: item {} ({name:?}): {e}", i + 1)
            })
        })
        .collect()
}

/// A price as cents: positive, at most two decimals, at most $1,000,000.
fn cents(price: f64) -> Result<u64, String> {
    let scaled = price * 100.0;
    let whole = scaled.round();
    if !(price > 0.0 && price <= 1_000_000.0) {
        return Err(format!("{price} is not a price between 0 and 1,000,000"));
    }
    if (scaled - whole).abs() > 1e-6 {
        return Err(format!("{price} has more than two decimals"));
    }
    // In range and whole, checked above.
    Ok(whole as u64)
}

/// The members of one JSON object, checked against the names it may have.
struct Fields<'a>(&'a Value);

impl<'a> Fields<'a> {
    fn new(value: &'a Value, allowed: &[&str]) -> Result<Self, String> {
        let members = value.as_object().ok_or("expected an object")?;
        if let Some(unknown) = members.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!(
                "unknown field {unknown:?} (expected {})",
                allowed.join(", ")
            ));
        }
        Ok(Self(value))
    }

    fn get(&self, name: &str) -> Result<&'a Value, String> {
        self.0.get(name).ok_or_else(|| format!("{name}: missing"))
    }

    fn string(&self, name: &str) -> Result<String, String> {
        match self.get(name)?.as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s.to_owned()),
            Some(_) => Err(format!("{name}: empty")),
            None => Err(format!("{name}: expected a string")),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, String> {
        let items = self
            .get(name)?
            .as_array()
            .ok_or_else(|| format!("{name}: expected an array of strings"))?;
        items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{name}: expected an array of strings"))
    }

    fn number(&self, name: &str) -> Result<f64, String> {
        self.get(name)?
            .as_f64()
            .ok_or_else(|| format!("{name}: expected a number"))
    }

    fn count(&self, name: &str) -> Result<u64, String> {
        let n = self.number(name)?;
        if n.fract() != 0.0 || !(0.0..=1e9).contains(&n) {
            return Err(format!("{name}: {n} is not a whole number from 0"));
        }
        // Whole and in range, checked above.
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests;
