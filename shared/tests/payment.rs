//! The `test` payment provider's ledger against the real MongoDB (or its stand-in): every call
//! that moves money is idempotent by its key, also when calls race.

use bson::{Document, doc};
use chrono::Datelike;
use shared::{
    config::MongoConfig,
    payment::{
        self, Authorization, Card, Decline, LEDGER, PaymentProvider, ProviderError, TestProvider,
    },
    testing::{TestNames, mongodb_uri},
};

async fn database(names: &TestNames) -> mongodb::Database {
    let cfg = MongoConfig {
        uri: mongodb_uri(),
        database: names.database.clone(),
    };
    shared::store::mongo(&cfg, "payment-test").await.unwrap()
}

async fn entries(db: &mongodb::Database, filter: Document) -> u64 {
    db.collection::<Document>(LEDGER)
        .count_documents(filter)
        .await
        .unwrap()
}

async fn token(provider: &TestProvider, number: &str) -> String {
    let card = Card {
        number: number.to_owned(),
        exp_month: 12,
        exp_year: u16::try_from(payment::today().year() + 2).unwrap(),
        cvc: "123".to_owned(),
        holder: Some("Alex Demo".to_owned()),
    };
    provider.tokenize(&card).await.unwrap().token
}

fn approved_ref(answer: Authorization) -> String {
    match answer {
        Authorization::Approved { provider_ref } => provider_ref,
        declined => panic!("expected approval, got {declined:?}"),
    }
}

#[tokio::test]
async fn authorizing_twice_with_one_key_charges_once_and_answers_the_same() {
    let names = TestNames::new();
    let db = database(&names).await;
    let provider = TestProvider::new(&db);
    let good = token(&provider, "4242 4242 4242 4242").await;

    let first = approved_ref(provider.authorize("order-1", &good, 2599).await.unwrap());
    let second = approved_ref(provider.authorize("order-1", &good, 2599).await.unwrap());

    assert_eq!(first, second);
    assert_eq!(entries(&db, doc! { "operation": "authorize" }).await, 1);
    let stored = db
        .collection::<Document>(LEDGER)
        .find_one(doc! { "key": "order-1" })
        .await
        .unwrap()
        .unwrap();
    // The stand-in gives a small Int64 back as an Int32: the ledger reads either.
    let amount = stored
        .get_i64("amountCents")
        .or_else(|_| stored.get_i32("amountCents").map(i64::from));
    assert_eq!(amount.unwrap(), 2599);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn racing_authorizations_of_one_key_leave_one_entry_and_one_answer() {
    let names = TestNames::new();
    let db = database(&names).await;
    let provider = TestProvider::new(&db);
    let good = token(&provider, "4242424242424242").await;

    let calls = (0..8).map(|_| provider.authorize("order-race", &good, 1000));
    let answers = futures::future::join_all(calls).await;

    let refs: Vec<String> = answers
        .into_iter()
        .map(|a| approved_ref(a.unwrap()))
        .collect();
    assert!(refs.iter().all(|r| *r == refs[0]), "{refs:?}");
    assert_eq!(entries(&db, doc! { "key": "order-race" }).await, 1);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn the_decline_cards_decline_with_their_reason_and_keep_it_for_the_key() {
    let names = TestNames::new();
    let db = database(&names).await;
    let provider = TestProvider::new(&db);
    let declined = token(&provider, "4000 0000 0000 0002").await;
    let broke = token(&provider, "4000 0000 0000 9995").await;
    let good = token(&provider, "5555 5555 5555 4444").await;

    let answer = provider.authorize("order-d", &declined, 500).await.unwrap();
    assert_eq!(
        answer,
        Authorization::Declined {
            reason: Decline::CardDeclined
        }
    );
    let answer = provider.authorize("order-f", &broke, 500).await.unwrap();
    assert_eq!(
        answer,
        Authorization::Declined {
            reason: Decline::InsufficientFunds
        }
    );
    // The key's first outcome stands, even when a good card is sent with it later.
    let again = provider.authorize("order-d", &good, 500).await.unwrap();
    assert_eq!(
        again,
        Authorization::Declined {
            reason: Decline::CardDeclined
        }
    );
    approved_ref(provider.authorize("order-g", &good, 500).await.unwrap());

    assert_eq!(entries(&db, doc! { "outcome": "declined" }).await, 2);
    assert_eq!(entries(&db, doc! { "outcome": "approved" }).await, 1);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn voids_and_refunds_are_idempotent_by_their_keys() {
    let names = TestNames::new();
    let db = database(&names).await;
    let provider = TestProvider::new(&db);
    let good = token(&provider, "4242424242424242").await;
    approved_ref(provider.authorize("order-v", &good, 3000).await.unwrap());
    approved_ref(provider.authorize("order-r", &good, 3000).await.unwrap());

    let void = provider.void("order-v").await.unwrap();
    assert_eq!(provider.void("order-v").await.unwrap(), void);
    assert_eq!(entries(&db, doc! { "operation": "void" }).await, 1);

    let refund = provider.refund("order-r", "return-1", 1000).await.unwrap();
    assert_eq!(
        provider.refund("order-r", "return-1", 1000).await.unwrap(),
        refund
    );
    let other = provider.refund("order-r", "return-2", 2000).await.unwrap();
    assert_ne!(other, refund);
    assert_eq!(entries(&db, doc! { "operation": "refund" }).await, 2);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn a_refund_beyond_the_charge_or_without_one_is_refused_and_written_nowhere() {
    let names = TestNames::new();
    let db = database(&names).await;
    let provider = TestProvider::new(&db);
    let good = token(&provider, "4242424242424242").await;
    let declined = token(&provider, "4000000000000002").await;
    approved_ref(provider.authorize("order-1", &good, 1000).await.unwrap());
    provider
        .authorize("order-2", &declined, 1000)
        .await
        .unwrap();
    provider.refund("order-1", "r1", 600).await.unwrap();

    let refused = [
        provider.refund("order-1", "r2", 401).await,
        provider.refund("order-2", "r1", 100).await,
        provider.refund("order-none", "r1", 100).await,
        provider.refund("order-1", "r3", 0).await,
    ];

    for answer in refused {
        assert!(
            matches!(answer, Err(ProviderError::Refused(_))),
            "{answer:?}"
        );
    }
    assert_eq!(entries(&db, doc! { "operation": "refund" }).await, 1);
    provider.refund("order-1", "r4", 400).await.unwrap();
    db.drop().await.unwrap();
}

#[tokio::test]
async fn a_key_voided_before_it_was_authorized_is_never_charged() {
    let names = TestNames::new();
    let db = database(&names).await;
    let provider = TestProvider::new(&db);
    let good = token(&provider, "4242424242424242").await;

    provider.void("order-cancelled").await.unwrap();
    let answer = provider
        .authorize("order-cancelled", &good, 1000)
        .await
        .unwrap();

    assert!(
        matches!(answer, Authorization::Declined { .. }),
        "{answer:?}"
    );
    assert_eq!(entries(&db, doc! { "outcome": "approved" }).await, 0);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn a_switched_off_provider_answers_unavailable_and_writes_nothing_until_switched_on() {
    let names = TestNames::new();
    let db = database(&names).await;
    // Built by name, as a service builds it; reached through the database's switch.
    let provider = payment::provider("test", &db).unwrap();
    let good = token(&TestProvider::new(&db), "4242424242424242").await;

    payment::set_test_unavailable(db.name(), true);
    let down = [
        provider.authorize("order-1", &good, 100).await.err(),
        provider.void("order-1").await.err(),
        provider.refund("order-1", "r", 100).await.err(),
    ];
    assert!(
        down.iter()
            .all(|e| matches!(e, Some(ProviderError::Unavailable(_)))),
        "{down:?}"
    );
    assert_eq!(entries(&db, doc! {}).await, 0);

    payment::set_test_unavailable(db.name(), false);
    approved_ref(provider.authorize("order-1", &good, 100).await.unwrap());
    assert_eq!(entries(&db, doc! {}).await, 1);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_ledger_is_unavailable_not_an_answer() {
    let cfg = MongoConfig {
        uri: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300".to_owned(),
        database: TestNames::new().database,
    };
    let db = shared::store::mongo(&cfg, "payment-test").await.unwrap();
    let provider = TestProvider::new(&db);
    let good = token(&provider, "4242424242424242").await;

    let answer = provider.authorize("order-1", &good, 100).await;

    assert!(
        matches!(answer, Err(ProviderError::Unavailable(_))),
        "{answer:?}"
    );
}
