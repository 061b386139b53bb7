//! Look-alike registrations: an address that looks like an existing one (other scripts,
//! invisible characters, fullwidth forms) cannot sign up beside it.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn an_address_that_looks_like_an_existing_one_is_refused() {
    let t = spawn_app().await;
    t.register("ada@example.com").await;

    for lookalike in [
        "\u{430}da@example.com",             // Cyrillic а
        "\u{430}d\u{430}@ex\u{430}mple.com", // Cyrillic а, three times
        "ＡＤＡ@example.com",                // fullwidth
    ] {
        let (status, body) = t
            .post(
                "/auth/register",
                json!({ "name": "Mallory", "email": lookalike, "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, 409, "{lookalike:?}: {body}");
        assert_eq!(body["error"]["code"], "CONFLICT");
    }
    assert_eq!(t.customer_count().await, 1);
    // The admin account, ensured at start, is guarded the same way.
    t.admin_token().await;
    let (status, _) = t
        .post(
            "/auth/register",
            json!({ "name": "Mallory", "email": "\u{430}dmin@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 409);
    t.stop().await;
}

#[tokio::test]
async fn an_address_with_invisible_or_direction_characters_is_refused() {
    let t = spawn_app().await;

    for hidden in [
        "ada\u{200b}@example.com", // zero-width space
        "ada\u{202e}@example.com", // right-to-left override
        "ada\u{2066}@example.com", // left-to-right isolate
    ] {
        let (status, body) = t
            .post(
                "/auth/register",
                json!({ "name": "Mallory", "email": hidden, "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, 400, "{hidden:?}: {body}");
        assert!(body["error"]["details"]["email"].is_string(), "{body}");
    }
    assert_eq!(t.customer_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn a_fullwidth_address_signs_in_as_the_address_it_shows() {
    let t = spawn_app().await;
    t.register("grace@example.com").await;

    let (status, body) = t.login("ｇｒａｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ", PASSWORD).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["customer"]["email"], "grace@example.com");
    t.stop().await;
}
