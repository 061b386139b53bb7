//! The 18 orders: when each was placed, how far it got and for whom, and how long each step
//! took, played through the live code's own transitions at those times.

use bson::oid::ObjectId;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use shared::events::Envelope;

use super::{DEMO_EMAIL, Input, shelf::Shelf};
use crate::{
    domain::{Address, Change, Discounts, Order, Status, pricing, shipment::CARRIERS, transition},
    events,
};

/// Mixed into every id and every varied figure, so the seed's orders are its own and the same
/// on every run.
const SEED: &str = "order-service demo orders v1";
/// The timestamp part of the seed's ObjectIds (2024-01-01T00:00:00Z): fixed, so that an id
/// never depends on when the seed ran; new orders' ids carry their own time and never meet it.
const ID_EPOCH: u32 = 1_704_067_200;
/// The correlation id of the seed's events.
const CORRELATION: &str = "order-service-seed";

/// How far an order got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Delivered,
    Shipped,
    Processing,
    CancelledWhilePending,
    CancelledWhileProcessing,
    Rejected,
}

/// One order of the plan: placed about `hours_ago`, for the demo customer or the next of the
/// others, with up to `lines` lines.
struct Slot {
    hours_ago: i64,
    fate: Fate,
    demo: bool,
    lines: usize,
}

const fn slot(days: i64, hours: i64, fate: Fate, demo: bool, lines: usize) -> Slot {
    Slot {
        hours_ago: days * 24 + hours,
        fate,
        demo,
        lines,
    }
}

/// Oldest first. The old ones are delivered; the recent ones are on their way or being
/// prepared. Each step's length is drawn in [`steps`]; every one ends before now.
const SLOTS: [Slot; 18] = {
    use Fate::*;
    [
        slot(27, 3, Delivered, false, 2),
        slot(26, 5, Delivered, true, 1),
        slot(24, 1, CancelledWhileProcessing, false, 3),
        slot(22, 7, Delivered, false, 1),
        slot(20, 2, Rejected, false, 2),
        slot(19, 9, Delivered, false, 4),
        slot(17, 4, Delivered, false, 2),
        slot(15, 6, CancelledWhilePending, false, 1),
        slot(14, 8, Delivered, false, 3),
        slot(12, 3, Delivered, false, 2),
        slot(10, 5, Delivered, false, 1),
        slot(8, 2, Rejected, false, 1),
        slot(3, 6, Shipped, false, 2),
        slot(2, 10, Shipped, true, 3),
        slot(1, 20, Shipped, false, 1),
        slot(1, 2, Processing, false, 4),
        slot(0, 9, Processing, true, 2),
        slot(0, 3, Processing, false, 1),
    ]
};

/// An order ready to insert, with the events it would have published.
#[derive(Debug)]
pub(super) struct Planned {
    /// The order as it stands at the end of its history.
    pub order: Order,
    /// `order.created`, then each step's events, in order.
    pub events: Vec<Envelope>,
}

/// Someone orders can go to.
struct Recipient {
    id: String,
    address: Address,
}

/// The plan played out as of `now`.
pub(super) fn orders(input: &Input, now: DateTime<Utc>) -> Result<Vec<Planned>, String> {
    // Whole milliseconds, as MongoDB keeps times.
    let now = bson::DateTime::from_chrono(now).to_chrono();
    let (demo, others) = recipients(input)?;
    let mut shelf = Shelf::new(&input.products)?;
    let (mut next_other, mut rejected) = (0, 0);
    let mut planned = Vec::with_capacity(SLOTS.len());
    for (index, slot) in SLOTS.iter().enumerate() {
        let customer = if slot.demo {
            &demo
        } else {
            next_other += 1;
            &others[(next_other - 1) % others.len()]
        };
        let id = seed_id(index);
        let mut reason = None;
        let lines = if slot.fate == Fate::Rejected {
            let (short, why) = shelf.short_line(rejected, &id)?;
            rejected += 1;
            reason = Some(why);
            let except = Some(short.product_id.clone());
            let mut lines = vec![short];
            lines.extend(shelf.lines(index, slot.lines - 1, false, except.as_deref())?);
            lines
        } else {
            shelf.lines(index, slot.lines, true, None)?
        };
        if lines.is_empty() {
            return Err(format!(
                "order {index}: no product has stock left (a fresh catalog has plenty)"
            ));
        }
        // Priced by the live function, like every order placed through the API.
        let subtotals: Vec<_> = lines
            .iter()
            .map(|l| crate::domain::Money::from_cents(l.subtotal_cents))
            .collect();
        let quote = pricing::quote(&subtotals, &Discounts::NONE)
            .map_err(|_| format!("order {index}: total too large"))?;
        let placed_at = now
            - Duration::hours(slot.hours_ago)
            - Duration::minutes(draw(index, "minute", 0, 59))
            - Duration::seconds(draw(index, "second", 0, 59));
        let placed = Order::placed(
            id,
            customer.id.clone(),
            lines,
            quote,
            customer.address.clone(),
            format!("order:{}", id.to_hex()),
            placed_at,
        );
        let done = play(placed, &steps(index, slot.fate, reason))?;
        if done.order.updated_at >= now {
            return Err(format!(
                "order {index}: its last step would not be in the past"
            ));
        }
        planned.push(done);
    }
    Ok(planned)
}

/// The demo customer, and the others (by e-mail); only those with an address on file.
fn recipients(input: &Input) -> Result<(Recipient, Vec<Recipient>), String> {
    let mut demo = None;
    let mut others = Vec::new();
    for (i, c) in input.customers.iter().enumerate() {
        let id = ObjectId::parse_str(c.id.trim())
            .map_err(|_| format!("customers[{i}].id: not an ObjectId: {:?}", c.id))?;
        let Some(address) = c.address.clone() else {
            continue;
        };
        let recipient = Recipient {
            id: id.to_hex(),
            address,
        };
        if c.email.trim().eq_ignore_ascii_case(DEMO_EMAIL) {
            demo = Some(recipient);
        } else {
            others.push((c.email.trim().to_lowercase(), recipient));
        }
    }
    let demo =
        demo.ok_or_else(|| format!("{DEMO_EMAIL} is not among the customers with an address"))?;
    if others.is_empty() {
        return Err(format!(
            "no customer with an address besides {DEMO_EMAIL}: the other orders need someone"
        ));
    }
    others.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((demo, others.into_iter().map(|(_, r)| r).collect()))
}

/// The changes an order of `fate` went through, each with how long after the previous one.
fn steps(index: usize, fate: Fate, reason: Option<String>) -> Vec<(Change, Duration)> {
    let reserve = (
        Change::Reserve,
        Duration::seconds(draw(index, "reserve", 1, 20)),
    );
    let ship = (
        Change::Ship {
            carrier: Some(CARRIERS[index % CARRIERS.len()].to_owned()),
            tracking_number: Some(tracking_number(index)),
        },
        Duration::hours(draw(index, "ship", 18, 30))
            + Duration::minutes(draw(index, "ship-min", 0, 59)),
    );
    // Within the three days the estimate gives from shipping.
    let deliver = (
        Change::Deliver,
        Duration::hours(draw(index, "deliver", 40, 70)),
    );
    let cancel = |reason: &str, after: Duration| {
        (
            Change::Cancel {
                reason: reason.to_owned(),
            },
            after,
        )
    };
    match fate {
        Fate::Delivered => vec![reserve, ship, deliver],
        Fate::Shipped => vec![reserve, ship],
        Fate::Processing => vec![reserve],
        Fate::CancelledWhilePending => vec![cancel(
            "cancelled by the customer",
            Duration::seconds(draw(index, "cancel", 30, 90)),
        )],
        Fate::CancelledWhileProcessing => vec![
            reserve,
            cancel(
                "cancelled by an admin",
                Duration::hours(draw(index, "cancel", 2, 8)),
            ),
        ],
        Fate::Rejected => vec![(
            Change::Reject {
                reason: reason.unwrap_or_else(|| "stock could not be reserved".to_owned()),
            },
            Duration::seconds(draw(index, "reject", 1, 3)),
        )],
    }
}

/// Applies `steps` to a placed order as the live code does, collecting the events each change
/// publishes; the result has no fulfilment due time yet ([`super::run`] gives it one).
fn play(placed: Order, steps: &[(Change, Duration)]) -> Result<Planned, String> {
    let encode = |e: serde_json::Error| e.to_string();
    let mut events = vec![events::created(&placed, CORRELATION).map_err(encode)?];
    let mut order = placed;
    for (change, after) in steps {
        let at = order.updated_at + *after;
        let next = transition::apply(&order, change, at, std::time::Duration::ZERO)
            .map_err(|e| e.to_string())?;
        events.push(events::status_changed(&order, &next, CORRELATION).map_err(encode)?);
        if next.status == Status::Cancelled {
            events.push(events::cancelled(&next, CORRELATION).map_err(encode)?);
        }
        order = next;
    }
    order.next_due_at_ms = None;
    Ok(Planned { order, events })
}

/// The id of the order at `index`: a fixed time, five bytes of the seed, the index.
fn seed_id(index: usize) -> ObjectId {
    let seed = Sha256::digest(SEED.as_bytes());
    let process = [seed[0], seed[1], seed[2], seed[3], seed[4]];
    let counter = u32::try_from(index).unwrap_or(u32::MAX).to_be_bytes();
    ObjectId::from_parts(ID_EPOCH, process, [counter[1], counter[2], counter[3]])
}

/// A figure in `lo..=hi` that varies with the order and `what`, the same on every run.
fn draw(index: usize, what: &str, lo: i64, hi: i64) -> i64 {
    let hash = Sha256::digest(format!("{SEED}/{index}/{what}").as_bytes());
    let n = u64::from_be_bytes([
        hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
    ]);
    let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
    lo + i64::try_from(n % span).unwrap_or(0)
}

/// `TRK` and 12 capitals or digits, as [`crate::domain::shipment::tracking_number`] makes
/// them, but the same on every run.
fn tracking_number(index: usize) -> String {
    let hash = Sha256::digest(format!("{SEED}/{index}/tracking").as_bytes());
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02X}")).collect();
    format!("TRK{hex}")
}

#[cfg(test)]
mod tests;
