//! Ending a session racing its rotation: many presenters of one refresh token at once, a
//! reuse or a logout landing while a child token is issued; the session must end for good
//! whatever the interleaving. Runs on a multi-threaded runtime, as the service does.

use std::time::{Duration, Instant};

use customer_service::store::refresh_tokens::{self, RefreshToken};
use futures::{TryStreamExt, future::join_all};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, token};

/// How many presenters race in each round, and how many rounds.
const PRESENTERS: [usize; 5] = [2, 2, 3, 4, 16];
const ROUNDS: usize = 20;

/// How far apart a reuse and a rotation start, from 0 up in steps, past the point where the
/// reuse ends the session before the rotation begins.
const STAGGER_STEP: Duration = Duration::from_micros(20);
const STAGGERS: u32 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_refreshes_of_one_token_let_at_most_one_through_and_end_the_whole_session() {
    let t = spawn_app().await;
    for round in 0..ROUNDS {
        let first = t.register(&format!("race{round}@example.com")).await;
        let presenters = PRESENTERS[round % PRESENTERS.len()];
        warm_up(&t, presenters).await;

        let answers = join_all((0..presenters).map(|_| refresh(&t, &first))).await;

        assert!(
            answers.iter().all(|(s, _)| *s == 200 || *s == 401),
            "round {round}: {answers:?}"
        );
        let granted = granted(&answers);
        assert!(granted.len() <= 1, "round {round}: {answers:?}");
        assert_ended(&t, &first, &granted, round).await;
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_logout_racing_refreshes_of_its_session_ends_it_and_whatever_they_were_given() {
    let t = spawn_app().await;
    for round in 0..ROUNDS {
        let first = t.register(&format!("bye{round}@example.com")).await;
        let presenters = PRESENTERS[round % PRESENTERS.len()] - 1;
        warm_up(&t, presenters + 1).await;

        let access = token(&first);
        let logout = t.request("POST", "/auth/logout", None, Some(&access));
        let refreshes = join_all((0..presenters).map(|_| refresh(&t, &first)));
        let ((logged_out, _), answers) = tokio::join!(logout, refreshes);

        // 401 when a reuse among the refreshes ended the session first.
        assert!(
            matches!(logged_out, 204 | 401),
            "round {round}: {logged_out}"
        );
        let granted = granted(&answers);
        assert!(granted.len() <= 1, "round {round}: {answers:?}");
        assert_ended(&t, &first, &granted, round).await;
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_reuse_landing_while_the_child_is_issued_still_ends_the_session() {
    let t = spawn_app().await;
    for round in 0..STAGGERS {
        let first = t.register(&format!("late{round}@example.com")).await;
        let (_, second) = refresh(&t, &first).await;
        let second = &second["data"];
        warm_up(&t, 2).await;

        // The reuse of the used first token starts a little earlier each round, so that its
        // end of the session lands somewhere in the rotation of the second: not a wait for
        // anything, a sweep over the interleavings. Spun rather than slept: a timer cannot
        // wait less than a millisecond, and the window is narrower than that.
        let stagger = STAGGER_STEP * round;
        let reuse = refresh(&t, &first);
        let rotation = async {
            let start = Instant::now();
            while start.elapsed() < stagger {
                std::hint::spin_loop();
            }
            refresh(&t, second).await
        };
        let ((reused, _), rotated) = tokio::join!(reuse, rotation);

        assert_eq!(reused, 401, "round {round}");
        let rotated = [rotated];
        let mut family = vec![second];
        family.extend(granted(&rotated));
        assert_ended(&t, &first, &family, round).await;
    }
    t.stop().await;
}

async fn refresh(t: &TestApp, session: &Value) -> (u16, Value) {
    t.refresh(&session["refreshToken"]).await
}

/// The sessions the successful answers gave.
fn granted(answers: &[(u16, Value)]) -> Vec<&Value> {
    answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| &body["data"])
        .collect()
}

/// Every token of the session that began with `first` is refused: first in the database, as
/// presenting a used token would itself end the session again and hide a child the race
/// missed; then over HTTP, the newest first, access and refresh tokens.
async fn assert_ended(t: &TestApp, first: &Value, later: &[&Value], round: impl std::fmt::Debug) {
    assert_eq!(
        live_refresh_tokens(t, &session_id(first)).await,
        0,
        "round {round:?}: a refresh token of the session is still good"
    );
    for session in later.iter().rev().copied().chain([first]) {
        let (status, body) = t.get_as("/auth/me", &token(session)).await;
        assert_eq!(status, 401, "round {round:?}: access token {body}");
        let (status, body) = refresh(t, session).await;
        assert_eq!(status, 401, "round {round:?}: refresh token {body}");
    }
}

/// The session (refresh family) `session`'s access token names.
fn session_id(session: &Value) -> String {
    use base64::Engine;
    let access = token(session);
    let payload = access.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<shared::auth::Claims>(&payload)
        .unwrap()
        .sid
}

/// Refresh tokens of session `family` stored and not revoked: a child stored by a rotation
/// but never answered counts too, as nothing but the race kept it from being handed out. Read
/// as the service reads them, since the stand-in stores a `$set` `true` as the number 1.
async fn live_refresh_tokens(t: &TestApp, family: &str) -> usize {
    let mongo = t.app.config.mongo.as_ref().unwrap();
    let db = shared::store::mongo(mongo, "test").await.unwrap();
    let tokens: Vec<RefreshToken> = db
        .collection::<RefreshToken>(refresh_tokens::COLLECTION)
        .find(bson::doc! { "family": family })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(!tokens.is_empty(), "the session's tokens are stored");
    tokens.iter().filter(|token| !token.revoked).count()
}

/// One open connection per presenter, to the service and from it to MongoDB, so that none
/// starts late by a handshake.
async fn warm_up(t: &TestApp, presenters: usize) {
    join_all((0..presenters).map(|n| t.refresh(format!("warm-up-{n}")))).await;
}
