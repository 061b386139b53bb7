//! Token revocation across processes: a verifier refuses what another revoked, from its local
//! list once subscribed (an announcement alone is enough) and by asking Redis before that.

use std::time::Duration;

use shared::{
    ApiError,
    auth::{REVOCATION_CHANNEL, Role, Verifier},
    config::RedisConfig,
    store::Redis,
    testing::{TestNames, eventually, redis_url},
};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(5);

/// A connected Redis under the test's prefix.
async fn redis(names: &TestNames, cancel: &CancellationToken) -> Redis {
    let config = RedisConfig {
        url: redis_url(),
        prefix: names.redis_prefix.clone(),
    };
    let redis = Redis::start(&config, cancel.clone()).expect("redis url");
    eventually("redis", Duration::from_secs(10), || async {
        redis.connection().await.ok()
    })
    .await;
    redis
}

/// A verifier of its own, as another process would have, watching the channel.
async fn verifier(names: &TestNames, cancel: &CancellationToken) -> Verifier {
    let verifier = Verifier::new(names.signer.key_source(), Some(redis(names, cancel).await))
        .expect("verifier");
    verifier.watch_revocations(cancel.clone());
    verifier
}

fn is_revoked(result: &Result<shared::auth::Claims, ApiError>) -> bool {
    matches!(result, Err(ApiError::Unauthorized(m)) if m == "token revoked")
}

#[tokio::test]
async fn a_token_revoked_by_one_verifier_is_refused_by_another_within_a_deadline() {
    let (names, cancel) = (TestNames::new(), CancellationToken::new());
    let (ours, theirs) = (
        verifier(&names, &cancel).await,
        verifier(&names, &cancel).await,
    );
    let (token, claims) = names.signer.sign("a", Role::Customer).unwrap();
    eventually("the list local", WAIT, || async {
        ours.revocations_are_local().then_some(())
    })
    .await;
    assert!(ours.verify(&token).await.is_ok());

    theirs.revoke(&claims).await.expect("revoked");

    assert!(
        is_revoked(&theirs.verify(&token).await),
        "at once where revoked"
    );
    eventually("the token refused", WAIT, || async {
        is_revoked(&ours.verify(&token).await).then_some(())
    })
    .await;
    cancel.cancel();
}

#[tokio::test]
async fn an_announcement_alone_refuses_a_token_once_the_list_is_local() {
    let (names, cancel) = (TestNames::new(), CancellationToken::new());
    let ours = verifier(&names, &cancel).await;
    let redis = redis(&names, &cancel).await;
    let (token, claims) = names.signer.sign("a", Role::Customer).unwrap();
    eventually("the list local", WAIT, || async {
        ours.revocations_are_local().then_some(())
    })
    .await;

    // No key: only the channel can tell.
    let mut conn = redis.connection().await.unwrap();
    let _: i64 = redis::cmd("PUBLISH")
        .arg(redis.key(REVOCATION_CHANNEL))
        .arg(format!("{} {}", claims.jti, claims.exp))
        .query_async(&mut conn)
        .await
        .unwrap();

    eventually("the token refused", WAIT, || async {
        is_revoked(&ours.verify(&token).await).then_some(())
    })
    .await;
    cancel.cancel();
}

#[tokio::test]
async fn a_revocation_stored_before_the_subscription_is_read_into_the_list() {
    let (names, cancel) = (TestNames::new(), CancellationToken::new());
    let (token, claims) = names.signer.sign("a", Role::Customer).unwrap();
    let early = Verifier::new(
        names.signer.key_source(),
        Some(redis(&names, &cancel).await),
    )
    .expect("verifier");
    early.revoke(&claims).await.expect("revoked");
    let unwatched = Verifier::new(
        names.signer.key_source(),
        Some(redis(&names, &cancel).await),
    )
    .expect("verifier");
    assert!(
        is_revoked(&unwatched.verify(&token).await),
        "not subscribed: Redis is asked"
    );

    let late = verifier(&names, &cancel).await;
    eventually("the list local", WAIT, || async {
        late.revocations_are_local().then_some(())
    })
    .await;

    assert!(is_revoked(&late.verify(&token).await));
    cancel.cancel();
}

#[tokio::test]
async fn a_revoked_session_refuses_every_access_token_of_it_everywhere_and_no_other() {
    let (names, cancel) = (TestNames::new(), CancellationToken::new());
    let (ours, theirs) = (
        verifier(&names, &cancel).await,
        verifier(&names, &cancel).await,
    );
    let unwatched = Verifier::new(
        names.signer.key_source(),
        Some(redis(&names, &cancel).await),
    )
    .expect("verifier");
    let sign = |sid: &str| {
        names
            .signer
            .sign_in_session("a", Role::Customer, sid)
            .unwrap()
    };
    let ((first, claims), (second, _), (other, _)) = (sign("s1"), sign("s1"), sign("s2"));
    eventually("the list local", WAIT, || async {
        ours.revocations_are_local().then_some(())
    })
    .await;

    theirs
        .revoke_session("s1", claims.exp)
        .await
        .expect("revoked");

    for token in [&first, &second] {
        assert!(
            is_revoked(&theirs.verify(token).await),
            "at once where revoked"
        );
        assert!(
            is_revoked(&unwatched.verify(token).await),
            "not subscribed: Redis is asked"
        );
        eventually("the session refused", WAIT, || async {
            is_revoked(&ours.verify(token).await).then_some(())
        })
        .await;
    }
    for verifier in [&ours, &theirs, &unwatched] {
        assert!(
            verifier.verify(&other).await.is_ok(),
            "another session works"
        );
    }
    cancel.cancel();
}
