//! The mail of a notification: subject, a plain-text part and an HTML part, decided when the
//! notification is made and stored with it, so every retry sends the same message.

use serde::{Deserialize, Serialize};

use super::notification::NewNotification;

/// What is mailed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Letter {
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, if known.
    pub name: Option<String>,
    /// The subject (the notification's title).
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// The letter of `notification` for `to` (named `name`).
pub fn compose(notification: &NewNotification, to: &str, name: Option<&str>) -> Letter {
    let greeting = name.map_or_else(|| "Hello,".to_owned(), |n| format!("Hello {n},"));
    let mut lines = vec![notification.message.clone()];
    for (label, field) in [
        ("Carrier", "carrier"),
        ("Tracking number", "trackingNumber"),
    ] {
        if let Some(value) = notification.details.get(field).and_then(|v| v.as_str()) {
            lines.push(format!("{label}: {value}"));
        }
    }
    let footer = if notification.kind.category() == super::notification::Category::Reports {
        "You get this mail as a member of the shop's staff."
    } else {
        "You get this mail because of your account at the shop; choose what is \
         mailed to you under Notifications, Preferences."
    };
    let text = format!("{greeting}\n\n{}\n\n-- \n{footer}\n", lines.join("\n"));
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body><h1>{}</h1><p>{}</p>{paragraphs}<hr><p><small>{}</small></p></body></html>",
        escape(&notification.title),
        escape(&greeting),
        escape(footer),
    );
    Letter {
        to: to.to_owned(),
        name: name.map(str::to_owned),
        subject: notification.title.clone(),
        text,
        html,
    }
}

/// HTML text escaping: names and reasons come from other people's input.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::notification::Kind;

    #[test]
    fn a_shipment_letter_carries_the_tracking_number_in_both_parts_and_escapes_html() {
        let notification = NewNotification {
            customer_id: "c".to_owned(),
            kind: Kind::OrderShipped,
            title: "Order o1 shipped".to_owned(),
            message: "On its way.".to_owned(),
            order_id: Some("o1".to_owned()),
            details: json!({"carrier": "DHL", "trackingNumber": "TN<1>"})
                .as_object()
                .unwrap()
                .clone(),
        };
        let letter = compose(&notification, "a@example.com", Some("Ann <script>"));
        assert!(
            letter.text.contains("Tracking number: TN<1>"),
            "{}",
            letter.text
        );
        assert!(letter.html.contains("TN&lt;1&gt;"), "{}", letter.html);
        assert!(
            letter.html.contains("Ann &lt;script&gt;"),
            "{}",
            letter.html
        );
        assert_eq!(letter.subject, "Order o1 shipped");
    }
}
