//! No card number or cvc is stored or logged (issue 15): cards are saved, refused and read
//! back, then every collection of the test's database and every log line are searched.

use chrono::Datelike;
use serde_json::json;
use shared::testing::leaks::{LogCapture, Secrets};

use crate::helpers::{spawn_app, token};

#[tokio::test]
async fn no_card_number_or_cvc_is_in_the_database_or_the_logs() {
    let logs = LogCapture::install("customer-service");
    let t = spawn_app().await;
    let (status, body) = t
        .post(
            "/auth/register",
            json!({ "name": "Ada Lovelace", "email": "secrets@example.com", "password": crate::helpers::PASSWORD }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let bearer = token(&body["data"]);
    let year = shared::payment::today().year() + 2;
    let path = "/customers/me/payment-methods";
    let cards = [
        ("4242 4242 4242 4242", "7319"),
        ("3782 822463 10005", "8462"),
    ];

    for (number, cvc) in cards {
        let card = json!({ "number": number, "expMonth": 11, "expYear": year, "cvc": cvc });
        let (status, body) = t
            .request("POST", path, Some(json!({ "card": card })), Some(&bearer))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // Refusals go through other code (and other log lines): a bad cvc, an expired card, a
    // provider that is down.
    let bad_cvc = json!({ "number": cards[0].0, "expMonth": 11, "expYear": year, "cvc": "73191" });
    let expired =
        json!({ "number": cards[0].0, "expMonth": 11, "expYear": year - 4, "cvc": cards[0].1 });
    // A number sent as a JSON number is a type error, whose message quotes the value back to
    // the sender: it must still reach no log.
    let typed = json!({ "number": 4242424242424242u64, "expMonth": 11, "expYear": year, "cvc": cards[0].1 });
    for card in [bad_cvc, expired, typed] {
        let (status, body) = t
            .request("POST", path, Some(json!({ "card": card })), Some(&bearer))
            .await;
        assert_eq!(status, 400, "{body}");
    }
    shared::payment::set_test_unavailable(&t.names.database, true);
    let card = json!({ "number": cards[1].0, "expMonth": 11, "expYear": year, "cvc": cards[1].1 });
    let (status, _) = t
        .request("POST", path, Some(json!({ "card": card })), Some(&bearer))
        .await;
    assert_eq!(status, 503);
    let (status, _) = t.get_as(path, &bearer).await;
    assert_eq!(status, 200);

    let secrets = Secrets {
        contained: cards
            .iter()
            .flat_map(|(n, _)| [n.to_string(), n.replace(' ', "")])
            .chain(["73191".to_owned()])
            .collect(),
        whole: cards.iter().map(|(_, cvc)| cvc.to_string()).collect(),
    };
    let db = shared::store::mongo(t.app.config.mongo.as_ref().unwrap(), "test")
        .await
        .unwrap();
    let stored = secrets.in_database(&db).await;
    let text = logs.text();
    let logged = secrets.in_logs(&text);
    assert!(stored.is_empty(), "stored: {stored:#?}");
    assert!(logged.is_empty(), "logged: {logged:#?}");
    // The search would see them: the logs hold the requests, and the cards are stored.
    assert!(
        text.contains("payment-methods"),
        "the capture saw the requests"
    );
    let seen = Secrets {
        contained: vec!["tok_test_".to_owned()],
        whole: vec![],
    };
    assert_eq!(
        seen.in_database(&db).await.len(),
        2,
        "the search reaches the stored cards"
    );
    t.stop().await;
}
