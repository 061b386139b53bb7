//! Field schemas: what a body or query value must be, checked here and rendered as JSON Schema.

use serde_json::{Map, Value, json};
use shared::{Money, Problems, money::MoneyError};

/// The shape of one value. (Bounds are inclusive; their names say which.)
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text of `min..=max` characters.
    Text { min: usize, max: usize },
    /// An email address.
    Email,
    /// A MongoDB ObjectId (24 hex digits).
    ObjectId,
    /// A `YYYY-MM-DD` date.
    Date,
    /// An http(s) URL.
    Url,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A whole number in `min..=max`.
    Integer { min: i64, max: i64 },
    /// A product's price: [`Money::price`], the rule product-service applies.
    Price,
    /// An amount of money, zero or more: [`Money::parse`].
    Amount,
    /// A list of `min..=max` items of one kind.
    List {
        item: &'static Kind,
        min: usize,
        max: usize,
    },
    /// An object with these fields (and no others).
    Object(&'static [Field]),
}

/// One named field of a body or query.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name.
    pub name: &'static str,
    /// Its shape.
    pub kind: Kind,
    /// Whether it must be present.
    pub required: bool,
    /// Whether `null` is accepted (to clear a value).
    pub nullable: bool,
}

/// A required field.
pub const fn required(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        nullable: false,
    }
}

/// An optional field.
pub const fn optional(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: false,
    }
}

/// An optional field that may be `null`.
pub const fn clearable(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: true,
    }
}

/// Checks `value` against `fields`, recording every problem under its path.
pub fn check_object(fields: &[Field], value: &Value, path: &str, problems: &mut Problems) {
    let Some(object) = value.as_object() else {
        problems.add(label(path, "body"), "must be a JSON object");
        return;
    };
    for key in object.keys() {
        if !fields.iter().any(|f| f.name == key) {
            problems.add(join(path, key), "is not a known field");
        }
    }
    for field in fields {
        let at = join(path, field.name);
        match object.get(field.name) {
            None if field.required => {
                problems.add(at, "is required");
            }
            None => {}
            Some(Value::Null) if field.nullable => {}
            Some(v) => check(&field.kind, v, &at, problems),
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn label(path: &str, fallback: &str) -> String {
    if path.is_empty() {
        fallback.to_owned()
    } else {
        path.to_owned()
    }
}

/// Checks one value.
pub fn check(kind: &Kind, value: &Value, path: &str, problems: &mut Problems) {
    let problem = match (kind, value) {
        (Kind::Object(fields), _) => {
            check_object(fields, value, path, problems);
            None
        }
        (Kind::List { item, min, max }, Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                check(item, v, &format!("{path}[{i}]"), problems);
            }
            (!(*min..=*max).contains(&items.len()))
                .then(|| format!("must have {min} to {max} items"))
        }
        (Kind::List { .. }, _) => Some("must be a list".to_owned()),
        (Kind::Integer { min, max }, Value::Number(n)) => match n.as_i64() {
            Some(i) if (*min..=*max).contains(&i) => None,
            _ => Some(format!("must be a whole number from {min} to {max}")),
        },
        (Kind::Integer { .. }, _) => Some("must be a whole number".to_owned()),
        (Kind::Price, _) => Money::price(value).err().map(|e| e.to_string()),
        (Kind::Amount, _) => Money::from_json(value).err().map(|e| e.to_string()),
        (_, Value::String(s)) => check_text(kind, s),
        (_, _) => Some("must be a string".to_owned()),
    };
    if let Some(problem) = problem {
        problems.add(path.to_owned(), problem);
    }
}

/// Checks text (a string value, or a query parameter).
pub fn check_text(kind: &Kind, s: &str) -> Option<String> {
    let money = |checked: Result<Money, MoneyError>| checked.err().map(|e| e.to_string());
    let ok = match kind {
        Kind::Price => return money(Money::parse(s).and_then(Money::as_price)),
        Kind::Amount => return money(Money::parse(s)),
        Kind::Text { min, max } => (*min..=*max).contains(&s.trim().chars().count()),
        Kind::Email => {
            s.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.ends_with('.'))
                && !s.contains(' ')
        }
        Kind::ObjectId => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        Kind::Date => s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        Kind::Url => s.starts_with("https://") || s.starts_with("http://"),
        Kind::OneOf(options) => options.contains(&s),
        Kind::Integer { min, max } => s.parse::<i64>().is_ok_and(|i| (*min..=*max).contains(&i)),
        Kind::List { .. } | Kind::Object(_) => false,
    };
    (!ok).then(|| describe(kind))
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Text { min, max } => format!("must be {min} to {max} characters"),
        Kind::Email => "must be an email address".to_owned(),
        Kind::ObjectId => "must be a 24-character hex ObjectId".to_owned(),
        Kind::Date => "must be a date as YYYY-MM-DD".to_owned(),
        Kind::Url => "must be an http(s) URL".to_owned(),
        Kind::OneOf(options) => format!("must be one of {}", options.join(", ")),
        Kind::Integer { min, max } => format!("must be a whole number from {min} to {max}"),
        Kind::Price | Kind::Amount => "must be an amount of money".to_owned(),
        Kind::List { .. } => "must be a list".to_owned(),
        Kind::Object(_) => "must be an object".to_owned(),
    }
}

/// The JSON Schema (2020-12, as OpenAPI 3.1 uses) of a kind.
pub fn json_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Text { min, max } => json!({ "type": "string", "minLength": min, "maxLength": max }),
        Kind::Email => json!({ "type": "string", "format": "email" }),
        Kind::ObjectId => json!({ "type": "string", "pattern": "^[0-9a-fA-F]{24}$" }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Url => json!({ "type": "string", "format": "uri", "pattern": "^https?://" }),
        Kind::OneOf(options) => json!({ "type": "string", "enum": options }),
        Kind::Integer { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Price => json!({
            "type": "number", "exclusiveMinimum": 0, "maximum": Money::MAX_PRICE, "multipleOf": 0.01,
        }),
        Kind::Amount => json!({
            "type": "number", "minimum": 0, "maximum": Money::MAX, "multipleOf": 0.01,
        }),
        Kind::List { item, min, max } => {
            json!({ "type": "array", "items": json_schema(item), "minItems": min, "maxItems": max })
        }
        Kind::Object(fields) => object_schema(fields),
    }
}

/// The JSON Schema of an object with `fields`.
pub fn object_schema(fields: &[Field]) -> Value {
    let mut properties = Map::new();
    for field in fields {
        let mut schema = json_schema(&field.kind);
        if field.nullable {
            schema = json!({ "anyOf": [schema, { "type": "null" }] });
        }
        properties.insert(field.name.to_owned(), schema);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: Kind = Kind::Object(&[
        required("productId", Kind::ObjectId),
        required("quantity", Kind::Integer { min: 1, max: 1000 }),
    ]);
    const ORDER: &[Field] = &[required(
        "items",
        Kind::List {
            item: &ITEM,
            min: 1,
            max: 100,
        },
    )];

    #[test]
    fn every_problem_is_named_by_its_path() {
        let mut problems = Problems::new();
        let body = json!({ "items": [{ "productId": "x", "quantity": 0 }, { "quantity": 2 }], "coupon": "FREE" });
        check_object(ORDER, &body, "", &mut problems);
        let fields: Vec<&str> = problems.fields().collect();
        assert_eq!(
            fields,
            [
                "coupon",
                "items[0].productId",
                "items[0].quantity",
                "items[1].productId"
            ]
        );
    }

    #[test]
    fn prices_follow_the_services_rule() {
        let mut problems = Problems::new();
        check(&Kind::Price, &json!(19.99), "price", &mut problems);
        check(&Kind::Price, &json!(1e2), "exponent", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        check(&Kind::Price, &json!(19.999), "decimals", &mut problems);
        check(&Kind::Price, &json!(0), "zero", &mut problems);
        check(&Kind::Price, &json!(1_000_000.01), "above", &mut problems);
        check(&Kind::Price, &json!("19.99"), "text", &mut problems);
        assert_eq!(
            problems.get("decimals").unwrap(),
            "must have at most two decimals"
        );
        assert_eq!(problems.get("zero").unwrap(), "must be greater than 0");
        assert_eq!(problems.get("above").unwrap(), "must be at most 1000000.00");
        assert_eq!(problems.get("text").unwrap(), "must be a number");
    }

    #[test]
    fn amounts_in_a_query_take_zero_but_not_a_third_decimal() {
        assert_eq!(check_text(&Kind::Amount, "0"), None);
        assert_eq!(check_text(&Kind::Amount, "15.5"), None);
        assert_eq!(
            check_text(&Kind::Amount, "1.234").as_deref(),
            Some("must have at most two decimals")
        );
        assert_eq!(
            check_text(&Kind::Amount, "-5").as_deref(),
            Some("must not be negative")
        );
    }
}
