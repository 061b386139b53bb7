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
    /// `data` is one `T` (a query naming one, e.g. `?email=`), or a page of `T` with `meta`.
    OneOrPage,
    /// A stream of server-sent events (`text/event-stream`), not an envelope.
    Events,
    /// A switch to WebSocket (101); what follows is messages, not an envelope.
    Upgrade,
    /// A file of this content type (a report to download), not an envelope.
    File(&'static str),
    /// An image (`shared::api::images::ImageKind`, one of its types), not an envelope.
    Image,
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
    /// Whole numbers a page's `meta` has besides `page`, `limit` and `total`.
    pub meta: &'static [&'static str],
}

/// A route answering `status` with one `T`.
pub const fn one<T: Answer>(status: u16) -> ResponseSpec {
    ResponseSpec {
        status,
        also: None,
        shape: Shape::One,
        check: check::<T>,
        schema: Some(schemas::<T>),
        meta: &[],
    }
}

/// A route answering 200 with one `T` (when its query names one) or a page of `T`.
pub const fn one_or_page<T: Answer>() -> ResponseSpec {
    ResponseSpec {
        status: 200,
        also: None,
        shape: Shape::OneOrPage,
        check: check_one_or_list::<T>,
        schema: Some(schemas::<T>),
        meta: &[],
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
        meta: &[],
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
        meta: &[],
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
        meta: &[],
    }
}

/// A route answering 200 with a stream of server-sent events.
pub const fn events() -> ResponseSpec {
    ResponseSpec {
        status: 200,
        also: None,
        shape: Shape::Events,
        check: |_| Ok(()),
        schema: None,
        meta: &[],
    }
}

/// A route answering 200 with a file of `content_type` (`text/csv`, `application/pdf`).
pub const fn file(content_type: &'static str) -> ResponseSpec {
    ResponseSpec {
        status: 200,
        also: None,
        shape: Shape::File(content_type),
        check: |_| Ok(()),
        schema: None,
        meta: &[],
    }
}

/// A route answering 200 with an image's bytes (304 when the client's copy is current).
pub const fn image() -> ResponseSpec {
    ResponseSpec {
        status: 200,
        also: Some(304),
        shape: Shape::Image,
        check: |_| Ok(()),
        schema: None,
        meta: &[],
    }
}

/// A route switching to WebSocket (101).
pub const fn upgrade() -> ResponseSpec {
    ResponseSpec {
        status: 101,
        also: None,
        shape: Shape::Upgrade,
        check: |_| Ok(()),
        schema: None,
        meta: &[],
    }
}

impl ResponseSpec {
    /// The same answer, which may come with `status` too.
    pub const fn or(mut self, status: u16) -> Self {
        self.also = Some(status);
        self
    }

    /// The same page, whose `meta` also has these whole numbers (e.g. `unread`).
    pub const fn with_meta(mut self, meta: &'static [&'static str]) -> Self {
        self.meta = meta;
        self
    }

    /// Whether the answer is a JSON envelope (not a stream or a WebSocket).
    pub fn is_envelope(&self) -> bool {
        !matches!(
            self.shape,
            Shape::Events | Shape::Upgrade | Shape::File(_) | Shape::Image
        )
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

/// `data` as one `T` or, when it is a list, as a list of `T`.
fn check_one_or_list<T: Answer>(data: &Value) -> Result<(), String> {
    if data.is_array() {
        check::<Vec<T>>(data)
    } else {
        check::<T>(data)
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
    fn every_route_of_the_table_declares_what_it_answers() {
        let undeclared: Vec<String> = super::super::routes()
            .filter(|r| r.answer.is_none())
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            undeclared.is_empty(),
            "declare each one's answer with .answers(...) and a shared::api type: {undeclared:?}"
        );
        for route in super::super::routes() {
            let Some(answer) = route.answer else { continue };
            let stream = route.path.ends_with("/stream");
            let socket = route.path.starts_with("/api/ws/");
            assert_eq!(
                (
                    answer.shape == Shape::Events,
                    answer.shape == Shape::Upgrade
                ),
                (stream, socket),
                "{} {}: a stream or a socket only where the path says so",
                route.method,
                route.path
            );
            assert!(
                answer.meta.is_empty() || answer.shape == Shape::Page,
                "{}: extra meta only on a page",
                route.path
            );
        }
    }

    #[test]
    fn one_or_a_page_reads_either_and_nothing_else() {
        let check = one_or_page::<Deleted>().check;
        assert_eq!(check(&json!({"id": "a", "deleted": true})), Ok(()));
        assert_eq!(check(&json!([{"id": "a", "deleted": true}])), Ok(()));
        assert!(check(&json!([{"id": "a"}])).is_err());
        assert!(check(&json!("a")).is_err());
    }

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
