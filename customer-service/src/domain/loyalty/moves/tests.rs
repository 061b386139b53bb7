//! Holds, spends, releases, refunds and adjustments on an account, each once.

use chrono::Utc;
use shared::Money;

use super::*;

fn account_with(points: i64) -> Account {
    let mut account = Account::default();
    assert!(account.adjust("seed", points, "test", Utc::now()).unwrap());
    account
}

#[test]
fn a_hold_is_made_once_per_key_and_never_beyond_the_balance() {
    let mut account = account_with(500);

    let (hold, new) = account.hold("k1", "o1", 300, Utc::now()).unwrap();
    let (again, again_new) = account.hold("k1", "o-other", 100, Utc::now()).unwrap();
    let refused = account.hold("k2", "o2", 201, Utc::now());

    assert!(new && !again_new);
    assert_eq!(again, hold, "the first hold answers the retry");
    assert_eq!(refused, Err(NotEnough { available: 200 }));
    assert_eq!((account.points, account.held), (200, 300));
}

#[test]
fn a_hold_is_spent_or_released_once() {
    let mut account = account_with(1_000);
    account.hold("k1", "o1", 300, Utc::now()).unwrap();
    account.hold("k2", "o2", 200, Utc::now()).unwrap();

    assert!(account.spend("o1", Utc::now()));
    assert!(!account.spend("o1", Utc::now()));
    assert!(account.release("o2", Utc::now()));
    assert!(!account.release("o2", Utc::now()));
    assert!(!account.spend("o2", Utc::now()), "released is final");

    assert_eq!((account.points, account.held), (700, 0));
    let view = serde_json::to_value(account.view()).unwrap();
    assert_eq!(view["held"], 0);
    assert_eq!(view["history"][0]["reason"], REASON_RELEASED);
    assert_eq!(view["history"][1]["reason"], REASON_SPENT);
    let (points, held) = account
        .history
        .iter()
        .fold((0, 0), |(p, h), e| (p + e.points, h + e.held.unwrap_or(0)));
    assert_eq!((points, held), (700, 0), "the history adds up");
}

#[test]
fn a_cancelled_paid_order_returns_its_spent_points_once() {
    let mut account = account_with(400);
    account.hold("k1", "o1", 400, Utc::now()).unwrap();
    account.spend("o1", Utc::now());

    assert!(account.release("o1", Utc::now()));
    assert!(!account.release("o1", Utc::now()));
    assert_eq!((account.points, account.held), (400, 0));
}

#[test]
fn a_refund_takes_back_its_share_once_and_never_below_zero() {
    let mut account = Account::default();
    account.credit_delivery("o1", 100, Some(Money::from_cents(10_000)), Utc::now());

    let half = account.take_back("o1", "re_1", Money::from_cents(5_000), Utc::now());
    let again = account.take_back("o1", "re_1", Money::from_cents(5_000), Utc::now());
    assert_eq!((half, again), (50, 0));
    assert_eq!((account.points, account.lifetime_points), (50, 50));

    // The customer spent some: the rest of the refund takes only what is left.
    account.hold("k", "o2", 30, Utc::now()).unwrap();
    let rest = account.take_back("o1", "re_2", Money::from_cents(9_999), Utc::now());
    assert_eq!(rest, 20);
    assert_eq!(account.points, 0);
    assert_eq!(
        account.take_back("unknown", "re_3", Money::from_cents(1), Utc::now()),
        0
    );
}

#[test]
fn an_adjustment_is_applied_once_and_counts_towards_the_tier() {
    let mut account = account_with(1_250);
    assert!(!account.adjust("seed", 1_250, "again", Utc::now()).unwrap());
    assert_eq!(
        account.adjust("take", -2_000, "too much", Utc::now()),
        Err(NotEnough { available: 1_250 })
    );
    let view = account.view();
    assert_eq!(view.tier, "Silver");
    assert_eq!(view.history[0].note.as_deref(), Some("test"));
}

#[test]
fn the_sweep_expires_a_stale_hold_once_and_only_while_it_is_held() {
    let mut account = account_with(1_000);
    let long_ago = Utc::now() - chrono::Duration::hours(2);
    account.hold("old", "o1", 300, long_ago).unwrap();
    account.hold("paid", "o2", 100, long_ago).unwrap();
    account.hold("fresh", "o3", 200, Utc::now()).unwrap();
    assert!(account.spend("o2", Utc::now()));
    let cutoff = Utc::now() - chrono::Duration::hours(1);

    let stale: Vec<&str> = account
        .held_before(cutoff)
        .iter()
        .map(|h| h.key.as_str())
        .collect();
    assert_eq!(stale, ["old"], "spent and recent holds are not swept");
    assert!(account.expire("old", Utc::now()));
    assert!(
        !account.expire("old", Utc::now()),
        "a second sweep finds nothing"
    );
    assert!(
        !account.expire("paid", Utc::now()),
        "a spent hold stays spent"
    );

    assert_eq!((account.points, account.held), (700, 200));
    let last = account.history.last().unwrap();
    assert_eq!(
        (last.reason.as_str(), last.points, last.held),
        (REASON_RELEASED, 300, Some(-300))
    );
    assert!(
        !account.spend("o1", Utc::now()),
        "an expired hold is not spent"
    );
}

#[test]
fn a_checkout_that_comes_back_after_its_hold_expired_holds_again_under_the_same_order() {
    let mut account = account_with(500);
    account.hold("k", "o1", 300, Utc::now()).unwrap();
    assert!(account.expire("k", Utc::now()));

    let (again, new) = account.hold("k", "o-other", 100, Utc::now()).unwrap();

    assert!(new, "the points move again");
    assert_eq!((again.order_id.as_str(), again.points), ("o1", 300));
    assert_eq!(again.state, HoldState::Held);
    assert_eq!((account.points, account.held), (200, 300));
    assert!(
        account.spend("o1", Utc::now()),
        "its order spends it as usual"
    );
}

#[test]
fn an_expired_hold_is_not_taken_again_beyond_the_balance() {
    let mut account = account_with(500);
    account.hold("k", "o1", 300, Utc::now()).unwrap();
    assert!(account.expire("k", Utc::now()));
    account.hold("other", "o2", 400, Utc::now()).unwrap();

    let refused = account.hold("k", "o1", 300, Utc::now());

    assert_eq!(refused, Err(NotEnough { available: 100 }));
    assert_eq!((account.points, account.held), (100, 400));
}
