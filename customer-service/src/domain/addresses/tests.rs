//! The address book's rules: one default, the oldest takes over, at most twenty.

use super::*;

fn input(street: &str, is_default: Option<bool>) -> AddressInput {
    AddressInput {
        street: format!(" {street} "),
        city: "Springfield".to_owned(),
        zip_code: "12345".to_owned(),
        country: "US".to_owned(),
        label: Some(" Home ".to_owned()),
        is_default,
    }
}

fn defaults(book: &AddressBook) -> usize {
    book.views().iter().filter(|v| v.is_default).count()
}

#[test]
fn the_first_address_becomes_the_default_and_is_trimmed() {
    let mut book = AddressBook::default();
    let id = ObjectId::new();
    book.add(id, &input("1 Main St", Some(false))).unwrap();
    assert_eq!(book.default, Some(id));
    let view = book.view(id).unwrap();
    assert_eq!(
        (view.street.as_str(), view.label.as_deref()),
        ("1 Main St", Some("Home"))
    );
    assert_eq!(book.default_address().unwrap().street, "1 Main St");
}

#[test]
fn making_another_the_default_leaves_exactly_one() {
    let mut book = AddressBook::default();
    let (a, b) = (ObjectId::new(), ObjectId::new());
    book.add(a, &input("a", None)).unwrap();
    book.add(b, &input("b", None)).unwrap();
    assert_eq!(book.default, Some(a));
    let patch = AddressPatch {
        is_default: Some(true),
        ..Default::default()
    };
    book.patch(b, &patch).unwrap();
    assert_eq!(book.default, Some(b));
    assert_eq!(defaults(&book), 1);
    let unset = AddressPatch {
        is_default: Some(false),
        ..Default::default()
    };
    assert!(matches!(
        book.patch(b, &unset),
        Err(ApiError::Unprocessable(_))
    ));
    book.patch(a, &unset).unwrap();
    assert_eq!(book.default, Some(b));
}

#[test]
fn deleting_the_default_makes_the_oldest_remaining_one_the_default() {
    let mut book = AddressBook::default();
    let ids: Vec<ObjectId> = (0..3).map(|_| ObjectId::new()).collect();
    for (n, id) in ids.iter().enumerate() {
        book.add(*id, &input(&n.to_string(), Some(n == 2))).unwrap();
    }
    assert_eq!(book.default, Some(ids[2]));
    book.remove(ids[2]).unwrap();
    assert_eq!(book.default, Some(ids[0]));
    book.remove(ids[0]).unwrap();
    book.remove(ids[1]).unwrap();
    assert_eq!((book.default, book.default_address()), (None, None));
    assert!(matches!(book.remove(ids[1]), Err(ApiError::NotFound(_))));
}

#[test]
fn a_full_book_refuses_another_address() {
    let mut book = AddressBook::default();
    for n in 0..MAX_ADDRESSES {
        book.add(ObjectId::new(), &input(&n.to_string(), None))
            .unwrap();
    }
    let before = book.clone();
    assert!(matches!(
        book.add(ObjectId::new(), &input("one too many", None)),
        Err(ApiError::Unprocessable(_))
    ));
    assert_eq!(book, before);
}

#[test]
fn the_single_address_of_a_profile_change_edits_the_default() {
    let mut book = AddressBook::default();
    let first = ObjectId::new();
    let moved = input("9 Moved St", None).address();
    book.set_default_address(first, Some(&moved));
    assert_eq!(book.default, Some(first));
    let (a, b) = (ObjectId::new(), ObjectId::new());
    book.add(a, &input("a", Some(true))).unwrap();
    book.add(b, &input("b", None)).unwrap();

    book.set_default_address(ObjectId::new(), Some(&moved));
    assert_eq!(book.addresses.len(), 3);
    assert_eq!(book.view(a).unwrap().street, "9 Moved St");
    assert_eq!(book.view(a).unwrap().label.as_deref(), Some("Home"));

    book.set_default_address(ObjectId::new(), None);
    assert_eq!(book.addresses.len(), 2);
    assert_eq!(book.default, Some(first));
}
