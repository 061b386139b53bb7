use super::*;

#[test]
fn typical_messages_get_their_intent_with_evidence() {
    let classifier = Classifier::shipped();
    let cases = [
        ("What's your return policy?", Intent::PolicyQuestion),
        ("where is my order", Intent::OrderStatus),
        ("do you have bluetooth headphones", Intent::ProductSearch),
        (
            "my parcel arrived broken and I'm furious",
            Intent::Complaint,
        ),
        ("hello!", Intent::Chitchat),
        ("what's the capital of Peru", Intent::OffTopic),
        ("you idiot", Intent::Violation),
    ];
    for (message, expected) in cases {
        let c = classifier.classify(message);
        assert_eq!(c.intent, expected, "{message}: {c:?}");
        assert!(c.confidence > 0.0 && c.confidence <= 1.0);
    }
    let c = classifier.classify("What's your return policy?");
    assert!(c.rule.is_none() && !c.evidence.is_empty(), "{c:?}");
}

#[test]
fn an_order_id_makes_an_order_question_unless_it_is_a_complaint() {
    let classifier = Classifier::shipped();
    let c = classifier.classify("65f1c2a9b4e8d7c6a5b4c3d2");
    assert_eq!(
        (c.intent, c.rule),
        (Intent::OrderStatus, Some(Rule::OrderId))
    );
    let c = classifier
        .classify("order 65f1c2a9b4e8d7c6a5b4c3d2 arrived damaged, I'm really disappointed");
    assert_eq!(c.intent, Intent::Complaint);
}

#[test]
fn gibberish_is_off_topic_with_low_confidence() {
    let c = Classifier::shipped().classify("qwzx vbnm");
    assert_eq!(c.intent, Intent::OffTopic);
    assert!(c.confidence < 0.5);
}

#[test]
fn without_the_meaning_words_alone_never_refuse_a_request_as_wrongdoing() {
    let classifier = Classifier::shipped();
    // Their words are the evasion examples' ("how do I get ..."), their meaning is not.
    for ordinary in ["how do I get over a breakup", "how do I get past a bad day"] {
        let c = classifier.classify(ordinary);
        assert_ne!(c.intent, Intent::Violation, "{ordinary}: {c:?}");
    }
    // Abuse is still recognised by words, and wrongdoing by the rules.
    let abuse = classifier.classify("you pathetic useless idiot");
    assert_eq!(abuse.intent, Intent::Violation);
    let fraud = classifier.classify("how do I pay with a stolen card");
    assert_eq!(fraud.wrongdoing, Some(Wrongdoing::Fraud));
}
