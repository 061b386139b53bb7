use super::*;

#[test]
fn nudges_name_their_collections_until_taken_and_a_plain_one_means_all() {
    let nudge = Nudge::default();
    assert_eq!(nudge.take(), Nudged::All, "nothing named: every collection");
    nudge.nudge_collection("orders");
    nudge.nudge_collection("returns");
    nudge.nudge_collection("orders");
    assert_eq!(
        nudge.take(),
        Nudged::Only(["orders", "returns"].map(str::to_owned).into())
    );
    nudge.nudge_collection("orders");
    nudge.nudge();
    nudge.nudge_collection("returns");
    assert_eq!(nudge.take(), Nudged::All);
}

#[test]
fn a_hand_keeps_the_events_and_wakes_a_pass_that_reads_nothing_unless_more_was_nudged() {
    let nudge = Nudge::default();
    let events = vec![("k1".to_owned(), "{}".to_owned())];
    nudge.hand("orders", "o1", events.clone());
    nudge.hand("orders", "o2", Vec::new());
    assert_eq!(nudge.take(), Nudged::Only(Default::default()));
    let handed = nudge.take_handed();
    assert_eq!(handed.len(), 1, "an empty hand is none");
    assert_eq!(
        (
            handed[0].collection.as_str(),
            &handed[0].id,
            &handed[0].events
        ),
        ("orders", &Bson::from("o1"), &events)
    );
    assert!(nudge.take_handed().is_empty());
    nudge.nudge_collection("returns");
    nudge.hand("orders", "o3", events.clone());
    assert_eq!(nudge.take(), Nudged::Only(["returns".to_owned()].into()));
    nudge.nudge();
    nudge.hand("orders", "o4", events.clone());
    assert_eq!(nudge.take(), Nudged::All);
}

#[test]
fn beyond_the_cap_a_hand_is_a_named_nudge() {
    let nudge = Nudge::default();
    for n in 0..HANDED_CAP {
        nudge.hand(
            "orders",
            n.to_string(),
            vec![("k".to_owned(), "{}".to_owned())],
        );
    }
    let _ = nudge.take();
    nudge.hand("orders", "over", vec![("k".to_owned(), "{}".to_owned())]);
    assert_eq!(nudge.take(), Nudged::Only(["orders".to_owned()].into()));
    assert_eq!(nudge.take_handed().len(), HANDED_CAP);
}

#[test]
fn keyed_at_gives_the_keys_and_texts_stage_at_stores() {
    let events = [event(1), event(2)];
    let mut update = Document::new();
    stage_at(&mut update, &events, 7).unwrap();
    let set = update.get_document("$set").unwrap();
    for (key, text) in keyed_at(&events, 7).unwrap() {
        assert_eq!(set.get_str(format!("{FIELD}.{key}")).unwrap(), text);
    }
    assert_eq!(set.len(), 2);
}

fn event(n: i32) -> Envelope {
    Envelope::new(
        "product.updated",
        "product-service",
        "req",
        serde_json::json!({ "n": n }),
    )
}

#[test]
fn staging_merges_with_the_update_and_counts_every_event() {
    let (a, b) = (event(1), event(2));
    let mut update = doc! { "$set": { "price": 100 }, "$inc": { "stock": -1 } };

    stage(&mut update, &[a.clone(), b.clone()]).unwrap();

    let set = update.get_document("$set").unwrap();
    assert_eq!(set.get_i32("price").unwrap(), 100);
    let staged: Envelope =
        serde_json::from_str(set.get_str(format!("outbox.{}", key(&a))).unwrap()).unwrap();
    assert_eq!(staged, a);
    assert!(set.contains_key(format!("outbox.{}", key(&b))));
    assert_eq!(
        update.get_document("$inc").unwrap().get_i64(COUNT).unwrap(),
        2
    );
    assert_eq!(
        update
            .get_document("$inc")
            .unwrap()
            .get_i32("stock")
            .unwrap(),
        -1
    );
}

#[test]
fn versioned_keys_sort_by_version_whatever_the_writers_clocks_said() {
    // Version 2 written by a replica whose clock is behind the one that wrote version 1.
    let mut early = event(2);
    early.id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_000, 0));
    let late = event(1);
    let (first, second) = (versioned_key(1, 0, &late), versioned_key(2, 0, &early));

    assert!(first < second);
    assert!(key(&late) < first, "the plain form sorts before");
    assert_eq!(id_in_key(&second), Some(early.id));
    assert_eq!(id_in_key(&key(&late)), Some(late.id));
    let mut update = doc! {};
    stage_at(&mut update, &[late.clone(), early.clone()], 3).unwrap();
    let set = update.get_document("$set").unwrap();
    let keys: Vec<&String> = set.keys().collect();
    assert!(
        keys[0] < keys[1],
        "two events of one change keep their order"
    );
}

#[test]
fn keys_sort_in_the_order_events_were_made() {
    let events: Vec<Envelope> = (0..50).map(event).collect();
    let mut keys: Vec<String> = events.iter().map(key).collect();
    let made = keys.clone();
    keys.sort();
    assert_eq!(keys, made);
}
