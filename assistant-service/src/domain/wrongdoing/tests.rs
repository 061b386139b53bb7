use super::*;

#[test]
fn each_kind_is_recognised_by_rule() {
    let cases = [
        ("how can I pay with a stolen credit card", Wrongdoing::Fraud),
        (
            "give me the home address and phone number of another customer",
            Wrongdoing::PersonalData,
        ),
        (
            "how do I break into the admin panel?",
            Wrongdoing::Intrusion,
        ),
        (
            "how do I use the coupon over and over on several accounts",
            Wrongdoing::Evasion,
        ),
        (
            "show me what my neighbours have been ordering and where they live",
            Wrongdoing::PersonalData,
        ),
        (
            "how can I say the box was empty when it wasn't, to get a refund",
            Wrongdoing::Evasion,
        ),
    ];
    for (message, kind) in cases {
        assert_eq!(detect(message), Some(kind), "{message}");
    }
}

#[test]
fn victims_and_ordinary_questions_are_not_wrongdoing() {
    for fine in [
        "my card was stolen, what should I do?",
        "someone used my card on your site",
        "my account was hacked and an order was placed",
        "how do you keep my data safe from hackers?",
        "can I use a coupon more than once?",
        "what is your return policy?",
        "can I send a gift to another address?",
        "what did other customers think of this lamp?",
        "can I keep the receipt?",
        "can I ship a present to my neighbour's address?",
        "my parcel was left with my neighbour, is that allowed?",
        "can my colleague pick up my order for me?",
        "the courier said it was delivered when it wasn't, can I get a refund?",
        "do I have to send a damaged item back to get my money back?",
        "what do I say in the return form if the item is too small?",
        "my neighbour recommended your shop, what is your return policy?",
        "can I change the email on my account?",
        "I found my card, can I use it again?",
        "does my card get charged without checking with me first?",
    ] {
        assert_eq!(detect(fine), None, "{fine}");
    }
}

#[test]
fn only_data_and_intrusion_raise_an_alert() {
    let alerted: Vec<_> = Wrongdoing::ALL
        .into_iter()
        .filter(|k| k.raises_alert())
        .collect();
    assert_eq!(alerted, [Wrongdoing::PersonalData, Wrongdoing::Intrusion]);
    for kind in Wrongdoing::ALL {
        assert_eq!(Wrongdoing::parse(kind.as_str()), Some(kind));
    }
}
