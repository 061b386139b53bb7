//! Analytics bodies: replaying dead letters.

use garde::Validate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::rules;

/// `POST /analytics/dead-letters/replay` (body optional): which dead letters to send back;
/// all when empty.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Only those that died in this queue.
    #[garde(inner(custom(rules::exact(1, 255))))]
    #[schema(min_length = 1, max_length = 255)]
    pub queue: Option<String>,
    /// Only these events (their ids).
    #[garde(custom(rules::some_items(1, 1000)), dive)]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Option<Vec<EventId>>,
}

/// An event's id: a UUID in its 36-character form.
#[derive(Debug, Clone, Deserialize, Validate)]
#[garde(transparent)]
pub struct EventId(#[garde(custom(rules::uuid))] pub String);

super::text_schema!(
    EventId,
    36,
    36,
    "An event id: a UUID in its 36-character form"
);
