//! Variants (issue 19): a product sold in colours and sizes is a product whose variants are
//! products of their own, each with its SKU, options, stock and price, linked to it by
//! `variantOf`. So a variant is reserved, held, given back, restocked, spread over locations
//! and followed live exactly as any product is, by its own id, and an order line names it by
//! that id.
//!
//! The rules:
//! - A variant shares the product's name, description, category, brand, tags, image URL and
//!   low-stock threshold, copied when it is made and again whenever the product changes; its
//!   price is its own when given, else the product's, which it then follows.
//! - The product itself is not sold while it has variants (a reservation of it is refused,
//!   `variant_required`); its `stock` as shown is the sum of its variants' stock.
//! - A variant has a colour, a size or both; no two variants of one product share a SKU
//!   (whatever the case) or the same colour and size. Variants have no variants.

use bson::oid::ObjectId;
use shared::{
    ApiError,
    api::products::{self as api, VariantInput},
};

use super::product::{Product, ProductDraft};

/// What makes a product a variant: the product it belongs to and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantOf {
    /// The product it is a variant of.
    pub of: ObjectId,
    /// Its SKU, as given.
    pub sku: String,
    /// Its colour, trimmed.
    pub color: Option<String>,
    /// Its size, trimmed.
    pub size: Option<String>,
    /// Whether its price is its own (otherwise it follows the product's).
    pub own_price: bool,
}

impl VariantOf {
    /// `Red / M`, `Red` or `M`.
    pub fn label(&self) -> String {
        api::variant_label(self.color.as_deref(), self.size.as_deref())
    }

    /// As the API shows it on the variant.
    pub fn view(&self) -> api::VariantOf {
        api::VariantOf {
            product_id: self.of.to_hex(),
            sku: self.sku.clone(),
            color: self.color.clone(),
            size: self.size.clone(),
            label: self.label(),
        }
    }

    /// The keys this variant claims on its product, so that no other variant of it takes
    /// the same SKU or the same options: `s-<SKU upper-cased>` and `o-<the options, lower-cased,
    /// in hex>` (hex keeps any text safe as a field name).
    pub fn claims(&self) -> [String; 2] {
        let options = format!(
            "{}\u{1}{}",
            self.color.as_deref().unwrap_or_default().to_lowercase(),
            self.size.as_deref().unwrap_or_default().to_lowercase()
        );
        let hex: String = options.bytes().map(|b| format!("{b:02x}")).collect();
        [
            format!("s-{}", self.sku.to_ascii_uppercase()),
            format!("o-{hex}"),
        ]
    }
}

/// A checked variant body for the product `parent`: the variant's fields (the product's
/// shared ones, its own stock and price) and what makes it a variant.
pub fn draft(
    input: &VariantInput,
    parent: &Product,
) -> Result<(ProductDraft, VariantOf), ApiError> {
    if parent.variant.is_some() {
        return Err(ApiError::Conflict(
            "a variant cannot have variants of its own".to_owned(),
        ));
    }
    let own = input
        .price()
        .transpose()
        .map_err(|e| ApiError::field("price", e.to_string()))?;
    let (color, size) = input.options();
    let mut fields = parent.fields.clone();
    fields.price = own.unwrap_or(parent.fields.price);
    fields.stock = input.stock;
    let variant = VariantOf {
        of: parent.id,
        sku: input.sku.clone(),
        color,
        size,
        own_price: own.is_some(),
    };
    Ok((fields, variant))
}

/// The variant's fields after its product changed to `parent`: the shared ones copied, its
/// own stock kept, its price its own or the product's.
pub fn follow(variant: &ProductDraft, own_price: bool, parent: &ProductDraft) -> ProductDraft {
    let mut fields = parent.clone();
    fields.stock = variant.stock;
    if own_price {
        fields.price = variant.price;
    }
    fields
}

/// How a product sold in variants shows them: each one, and its colours and sizes in the
/// order the variants were added.
pub fn listed(variants: &[Product]) -> (Vec<api::Variant>, Vec<String>, Vec<String>) {
    let mut colors: Vec<String> = Vec::new();
    let mut sizes: Vec<String> = Vec::new();
    let mut listed = Vec::with_capacity(variants.len());
    for product in variants {
        let Some(variant) = &product.variant else {
            continue;
        };
        for (option, all) in [(&variant.color, &mut colors), (&variant.size, &mut sizes)] {
            if let Some(value) = option
                && !all.iter().any(|v| v.eq_ignore_ascii_case(value))
            {
                all.push(value.clone());
            }
        }
        let f = &product.fields;
        listed.push(api::Variant {
            id: product.id.to_hex(),
            sku: variant.sku.clone(),
            color: variant.color.clone(),
            size: variant.size.clone(),
            label: variant.label(),
            price: f.price,
            stock: f.stock,
            stock_status: api::StockStatus::of(f.stock, f.low_stock_threshold),
        });
    }
    (listed, colors, sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(sku: &str, color: Option<&str>, size: Option<&str>) -> VariantOf {
        VariantOf {
            of: ObjectId::new(),
            sku: sku.to_owned(),
            color: color.map(str::to_owned),
            size: size.map(str::to_owned),
            own_price: false,
        }
    }

    #[test]
    fn claims_ignore_case_and_keep_options_apart() {
        let a = variant("tee-red-m", Some("Red"), Some("M"));
        let b = variant("TEE-RED-M", Some("red"), Some("m"));
        assert_eq!(a.claims(), b.claims());
        // A colour and a size that read alike are not the same options.
        let colour = variant("x", Some("M"), None);
        let size = variant("y", None, Some("M"));
        assert_ne!(colour.claims()[1], size.claims()[1]);
        // Safe as field names: no dot, no dollar.
        let dotted = variant("z", Some("Sz. 10 $"), None);
        assert!(
            dotted
                .claims()
                .iter()
                .all(|k| !k.contains('.') && !k.contains('$'))
        );
    }

    #[test]
    fn labels_name_what_is_there() {
        assert_eq!(variant("a", Some("Red"), Some("M")).label(), "Red / M");
        assert_eq!(variant("a", None, Some("M")).label(), "M");
        assert_eq!(variant("a", Some("Red"), None).label(), "Red");
    }
}
