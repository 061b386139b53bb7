//! What a route answers on success: its status and the `shared::api` type of the envelope's
//! `data` (one value, a list, or a page with `meta`). The OpenAPI document takes the type's
//! schema, and the response agreement test reads real answers back into it, strictly.

use serde_json::Value;
use shared::api::Answer;

use super::body::Schemas;

/// How `data` holds the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `data` is one `T`.
    One,
    /// `data` is a list of `T`.
    List,
    /// `data` is a list of `T`, and `meta` is `{page, limit, total}`.
    Page,
    /// No body (204).
    Nothing,
}

/// The success answer of one route.
#[derive(Debug, Clone, Copy)]
pub struct ResponseSpec {
    /// The status of a success.
    pub status: u16,
    /// Another status the same answer may come with (a replay of an idempotent request).
    pub also: Option<u16>,
    /// How `data` holds the type.
    pub shape: Shape,
    /// Reads `data` as the type and writes it back: an error naming what differs when the
    /// answer has a field the type does not know, lacks one, or writes one otherwise.
    pub check: fn(&Value) -> Result<(), String>,
    /// The type's name, its schema and the schemas it refers to; `None` for no body.
    pub schema: Option<fn() -> Schemas>,
}

/// A route answering `status` with one `T`.
pub const fn one<T: Answer>(status: u16) -> ResponseSpec {
    ResponseSpec {
        status,
        also: None,
        shape: Shape::One,
        check: check::<T>,
        schema: Some(schemas::<T>),
    }
}

/// A route answering 200 with a list of `T`.
pub const fn list<T: Answer>() -> ResponseSpec {
    ResponseSpec {
        status: 200,
        also: None,
        shape: Shape::List,
        check: check::<Vec<T>>,
        schema: Some(schemas::<T>),
    }
}

/// A route answering 200 with a page of `T`.
pub const fn page<T: Answer>() -> ResponseSpec {
    ResponseSpec {
        status: 200,
        also: None,
        shape: Shape::Page,
        check: check::<Vec<T>>,
        schema: Some(schemas::<T>),
    }
}

/// A route answering 204 without a body.
pub const fn nothing() -> ResponseSpec {
    ResponseSpec {
        status: 204,
        also: None,
        shape: Shape::Nothing,
        check: |_| Ok(()),
        schema: None,
    }
}

impl ResponseSpec {
    /// The same answer, which may come with `status` too.
    pub const fn or(mut self, status: u16) -> Self {
        self.also = Some(status);
        self
    }

    /// Whether `status` is one this answer comes with.
    pub fn has_status(&self, status: u16) -> bool {
        status == self.status || Some(status) == self.also
    }
}

/// `data` read as a `T` (an unknown field refused by the type) and written back the same:
/// a field the service writes as `null` where the type leaves it out is a difference too.
fn check<T: serde::Serialize + serde::de::DeserializeOwned>(data: &Value) -> Result<(), String> {
    let read: T = serde_path_to_error::deserialize(data).map_err(|e| e.to_string())?;
    let written = serde_json::to_value(&read).map_err(|e| e.to_string())?;
    if written == *data {
        Ok(())
    } else {
        Err(format!(
            "written back differently:\n  answered: {data}\n  the type: {written}"
        ))
    }
}

fn schemas<T: Answer>() -> Schemas {
    let mut referred = Vec::new();
    T::schemas(&mut referred);
    (T::name().into_owned(), T::schema(), referred)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::api::products::Deleted;

    use super::*;

    #[test]
    fn an_answer_reads_back_only_when_it_is_exactly_the_type() {
        let check = one::<Deleted>(200).check;
        assert_eq!(check(&json!({"id": "a", "deleted": true})), Ok(()));
        let added = check(&json!({"id": "a", "deleted": true, "gone": 1})).unwrap_err();
        assert!(added.contains("gone"), "{added}");
        let renamed = check(&json!({"ID": "a", "deleted": true})).unwrap_err();
        assert!(renamed.contains("ID"), "{renamed}");
        assert!(check(&json!({"id": "a"})).is_err(), "a field dropped");
        assert!(
            check(&json!({"id": 7, "deleted": true})).is_err(),
            "a type changed"
        );
        let list = list::<Deleted>().check;
        assert!(list(&json!([{"id": "a", "deleted": true}])).is_ok());
        assert!(
            list(&json!({"id": "a", "deleted": true})).is_err(),
            "one, not a list"
        );
    }

    #[test]
    fn a_null_where_the_type_leaves_a_field_out_is_a_difference() {
        let check = one::<shared::api::orders::StatusEntry>(200).check;
        let entry = json!({"index": 0, "status": "PENDING", "at": "2026-01-01T00:00:00.000Z"});
        assert_eq!(check(&entry), Ok(()));
        let mut with_null = entry.clone();
        with_null["note"] = serde_json::Value::Null;
        assert!(
            check(&with_null)
                .unwrap_err()
                .contains("written back differently")
        );
    }
}
