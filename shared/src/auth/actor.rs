//! Who caused what a request does: the verified caller of the request, noted by the
//! [`super::Caller`] extractor and read by [`crate::events::Envelope::new`], so that every
//! event a signed-in request stages names its actor (the audit log reads it) without each
//! store threading the caller through.
//!
//! The note lives in a task-local that [`scoped`] (the shared middleware, around every
//! request) provides. Outside a request (a consumer, a poller) there is none, and events name
//! no actor: nobody caused them but the system.

use std::{cell::RefCell, future::Future};

use serde::{Deserialize, Serialize};

use super::Role;

/// The caller an event names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// The account's id.
    pub id: String,
    /// Its role when it acted.
    pub role: Role,
}

tokio::task_local! {
    static ACTOR: RefCell<Option<Actor>>;
}

/// Runs `future` (one request) with room for its actor.
pub async fn scoped<F: Future>(future: F) -> F::Output {
    ACTOR.scope(RefCell::new(None), future).await
}

/// Notes `actor` as the one the current request acts for; nothing outside a request.
pub fn note(actor: Actor) {
    let _ = ACTOR.try_with(|noted| *noted.borrow_mut() = Some(actor));
}

/// The actor of the current request, if it was signed in.
pub fn current() -> Option<Actor> {
    ACTOR
        .try_with(|noted| noted.borrow().clone())
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_actor_noted_in_a_request_is_seen_there_and_nowhere_else() {
        let ada = Actor {
            id: "a1".to_owned(),
            role: Role::Admin,
        };
        note(ada.clone());
        assert_eq!(current(), None, "outside a request nothing is noted");
        let seen = scoped(async {
            assert_eq!(current(), None);
            note(ada.clone());
            current()
        })
        .await;
        assert_eq!(seen, Some(ada));
        assert_eq!(
            scoped(async { current() }).await,
            None,
            "each request starts empty"
        );
    }
}
