//! Coupon uses in their own collection (issue 22): a coupon's document does not grow with its
//! uses; a count or a giving back stopped between its writes is finished by the next reader,
//! once; one token's uses counted and given back at once count once; redemptions an older
//! version kept on the coupon are moved out and given back once. Real MongoDB (or the stand-in).

use bson::{Document, doc};
use futures::future::join_all;
use order_service::{
    domain::{Money, coupon::Tier},
    orphans,
    store::coupons::{self, redemptions},
};
use reqwest::Method;
use serde_json::json;

use crate::{
    checkout::checkout_body,
    helpers::{TestApp, spawn_without_fulfilment},
    requests::Customer,
};

impl TestApp {
    async fn stored_coupon(&self, code: &str) -> Document {
        self.db
            .collection::<Document>(coupons::COLLECTION)
            .find_one(doc! { "_id": code })
            .await
            .unwrap()
            .expect("the coupon")
    }

    async fn redemptions_of(&self, code: &str) -> Vec<Document> {
        use futures::TryStreamExt;
        self.db
            .collection::<Document>(redemptions::COLLECTION)
            .find(doc! { "code": code })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    async fn redeem(&self, code: &str, who: &Customer, token: &str) -> bool {
        coupons::redeem(
            &self.db,
            code,
            &who.id,
            &Tier::bronze(),
            Money::from_cents(10_000),
            token,
        )
        .await
        .expect("redeem")
        .is_ok()
    }

    /// What a count that stopped after its first write leaves on the coupon: the use counted
    /// and its marker, no redemption.
    async fn count_stopped_half_way(&self, code: &str, who: &Customer, token: &str) {
        let key = coupons::redemption_key(token);
        let marker = doc! { "by": "crashed", "customerId": &who.id, "token": token, "atMs": 1_i64 };
        self.db
            .collection::<Document>(coupons::COLLECTION)
            .update_one(
                doc! { "_id": code },
                doc! {
                    "$set": { format!("counting.{key}"): marker },
                    "$inc": { "used": 1_i64, format!("perCustomer.c{}", who.id): 1_i64 },
                },
            )
            .await
            .unwrap();
    }
}

/// An integer field, whichever width the server stored.
fn int(document: &Document, field: &str) -> Option<i64> {
    match document.get(field)? {
        bson::Bson::Int32(n) => Some(i64::from(*n)),
        bson::Bson::Int64(n) => Some(*n),
        _ => None,
    }
}

fn bson_len(document: &Document) -> usize {
    bson::to_vec(document).unwrap().len()
}

/// The per-use fields a coupon document must not keep between steps.
fn per_use_fields(document: &Document) -> Vec<&str> {
    ["redemptions", "counting", "givingBack"]
        .into_iter()
        .filter(|f| document.get_document(f).is_ok_and(|m| !m.is_empty()))
        .collect()
}

#[tokio::test]
async fn a_coupons_document_does_not_grow_with_its_uses() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 20.0, 100).await;
    t.coupon(json!({"code": "POPULAR", "kind": "percent", "value": 10}))
        .await;
    let ada = t.customer();
    // One use through a real checkout, then many more counted as checkouts count them.
    let (status, answer) = t.put_line(&ada, &lamp, json!(1)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = t
        .request(
            Method::POST,
            "/cart/coupon",
            Some(&ada.bearer),
            Some(&json!({"code": "popular"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer, _) = t.checkout(&ada, Some(&checkout_body()), Some("k-1")).await;
    assert_eq!(status, 201, "{answer}");
    let after_one = t.stored_coupon("POPULAR").await;

    for n in 0..40 {
        assert!(
            t.redeem("POPULAR", &ada, &format!("checkout:{}:{n}", ada.id))
                .await
        );
    }

    let after_many = t.stored_coupon("POPULAR").await;
    assert_eq!(int(&after_many, "used"), Some(41), "{after_many}");
    assert_eq!(
        per_use_fields(&after_many),
        Vec::<&str>::new(),
        "{after_many}"
    );
    assert_eq!(
        bson_len(&after_many),
        bson_len(&after_one),
        "{after_one}\n{after_many}"
    );
    let uses = t.redemptions_of("POPULAR").await;
    assert_eq!(uses.len(), 41);
    assert!(uses.iter().all(|r| r.get_str("state") == Ok("counted")));
    t.stop().await;
}

#[tokio::test]
async fn a_count_stopped_after_its_first_write_is_finished_once_by_whoever_reads_it_next() {
    let t = spawn_without_fulfilment().await;
    t.coupon(json!({"code": "HALF", "kind": "fixed", "value": 5, "usageLimit": 3}))
        .await;
    let ada = t.customer();
    let resumed = format!("checkout:{}:resumed", ada.id);
    let abandoned = format!("checkout:{}:abandoned", ada.id);
    t.count_stopped_half_way("HALF", &ada, &resumed).await;
    t.count_stopped_half_way("HALF", &ada, &abandoned).await;
    assert_eq!(t.used("HALF").await, 2);

    // The checkout resumed with its token gets the use its first attempt counted, and counts
    // nothing more.
    assert!(t.redeem("HALF", &ada, &resumed).await);
    assert_eq!(t.used("HALF").await, 2);
    // The abandoned one: the sweep finishes its count, then gives it back (no order).
    let swept = orphans::sweep(&t.db, std::time::Duration::from_millis(1), i64::MAX)
        .await
        .unwrap();
    assert_eq!(swept, 2, "both have no order");
    assert_eq!(t.used("HALF").await, 0);
    let stored = t.stored_coupon("HALF").await;
    assert_eq!(per_use_fields(&stored), Vec::<&str>::new(), "{stored}");
    let uses = t.redemptions_of("HALF").await;
    assert_eq!(uses.len(), 2, "{uses:?}");
    assert!(
        uses.iter().all(|r| r.get_str("state") == Ok("returned")),
        "{uses:?}"
    );
    // A giving back stopped after its first write: the next reader finishes it, once.
    assert!(t.redeem("HALF", &ada, &resumed).await);
    assert_eq!(t.used("HALF").await, 1);
    let key = coupons::redemption_key(&resumed);
    t.db.collection::<Document>(coupons::COLLECTION)
        .update_one(
            doc! { "_id": "HALF" },
            doc! { "$set": { format!("givingBack.{key}"):
            { "by": "crashed", "customerId": &ada.id, "token": &resumed, "atMs": 1_i64 } } },
        )
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        coupons::give_back(&t.db, "HALF", &resumed),
        coupons::give_back(&t.db, "HALF", &resumed)
    );
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (false, false),
        "the crashed attempt's"
    );
    assert_eq!(t.used("HALF").await, 0);
    t.stop().await;
}

#[tokio::test]
async fn one_tokens_uses_counted_and_given_back_at_once_count_once() {
    let t = spawn_without_fulfilment().await;
    t.coupon(json!({"code": "RACE", "kind": "fixed", "value": 5}))
        .await;
    let ada = t.customer();
    let token = format!("checkout:{}:tab", ada.id);

    for round in 0..3 {
        let counted = join_all((0..8).map(|_| t.redeem("RACE", &ada, &token))).await;
        assert!(counted.iter().all(|c| *c), "round {round}: {counted:?}");
        assert_eq!(t.used("RACE").await, 1, "round {round}");

        let given = join_all((0..8).map(|_| coupons::give_back(&t.db, "RACE", &token))).await;
        let given: Vec<bool> = given.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            given.iter().filter(|g| **g).count(),
            1,
            "round {round}: {given:?}"
        );
        assert_eq!(t.used("RACE").await, 0, "round {round}");
    }
    let stored = t.stored_coupon("RACE").await;
    assert_eq!(per_use_fields(&stored), Vec::<&str>::new(), "{stored}");
    let per_customer = stored.get_document("perCustomer").unwrap();
    assert_eq!(int(per_customer, &format!("c{}", ada.id)), Some(0));
    assert_eq!(t.redemptions_of("RACE").await.len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn a_redemption_an_older_version_kept_on_the_coupon_is_moved_out_and_given_back_once() {
    let t = spawn_without_fulfilment().await;
    t.coupon(json!({"code": "OLD", "kind": "fixed", "value": 5, "usageLimit": 1}))
        .await;
    let ada = t.customer();
    let token = format!("checkout:{}:old", ada.id);
    let key = coupons::redemption_key(&token);
    t.db.collection::<Document>(coupons::COLLECTION)
        .update_one(
            doc! { "_id": "OLD" },
            doc! {
                "$set": { format!("redemptions.{key}"):
                    { "customerId": &ada.id, "token": &token, "atMs": 5_i64 } },
                "$inc": { "used": 1_i64, format!("perCustomer.c{}", ada.id): 1_i64 },
            },
        )
        .await
        .unwrap();

    // Still the token's: a resumed checkout gets it, and it uses up the coupon for others.
    assert!(t.redeem("OLD", &ada, &token).await);
    assert!(!t.redeem("OLD", &t.customer(), "someone else").await);
    assert_eq!(t.used("OLD").await, 1);
    let (a, b) = tokio::join!(
        coupons::give_back(&t.db, "OLD", &token),
        coupons::give_back(&t.db, "OLD", &token)
    );
    assert_eq!(u8::from(a.unwrap()) + u8::from(b.unwrap()), 1);
    assert_eq!(t.used("OLD").await, 0);
    let stored = t.stored_coupon("OLD").await;
    assert_eq!(per_use_fields(&stored), Vec::<&str>::new(), "{stored}");
    let uses = t.redemptions_of("OLD").await;
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].get_str("state"), Ok("returned"));
    t.stop().await;
}

/// A giving back that another reader found and finished before its own attempt got to it
/// still answers that attempt `true`: the use went back under its marker, once. (Eight
/// concurrent give-backs once all answered `false` this way.)
#[tokio::test]
async fn a_giving_back_finished_for_its_attempt_by_another_reader_still_answers_the_attempt_true() {
    let t = spawn_without_fulfilment().await;
    t.coupon(json!({"code": "HELP", "kind": "fixed", "value": 5}))
        .await;
    let ada = t.customer();
    let token = format!("checkout:{}:helped", ada.id);
    assert!(t.redeem("HELP", &ada, &token).await);
    assert_eq!(t.used("HELP").await, 1);
    let key = coupons::redemption_key(&token);
    let marker = order_service::domain::coupon::Marker {
        by: "attempt-a".to_owned(),
        customer_id: ada.id.clone(),
        token: token.clone(),
        at_ms: 1,
    };
    t.db.collection::<Document>(coupons::COLLECTION)
        .update_one(
            doc! { "_id": "HELP" },
            doc! { "$set": { format!("givingBack.{key}"): bson::to_document(&marker).unwrap() } },
        )
        .await
        .unwrap();

    let helper = coupons::give_back(&t.db, "HELP", &token).await.unwrap();
    assert!(!helper, "the reader only finished another's giving back");
    assert_eq!(t.used("HELP").await, 0);
    let attempt = redemptions::finish_give_back(&t.db, "HELP", &key, &marker)
        .await
        .unwrap();
    assert!(attempt, "the attempt's use went back");
    assert_eq!(t.used("HELP").await, 0, "once");
    t.stop().await;
}
