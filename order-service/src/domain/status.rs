//! The order status machine (DESIGN.md, "Order statuses") and which transitions an admin may
//! make by hand.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Placed; stock not yet confirmed.
    Pending,
    /// Stock reserved; being prepared.
    Processing,
    /// Handed to a carrier, with a tracking number.
    Shipped,
    /// Arrived. Final.
    Delivered,
    /// Not enough stock. Final.
    Rejected,
    /// Cancelled by the customer or an admin; stock released. Final.
    Cancelled,
}

impl From<shared::api::orders::OrderStatus> for Status {
    fn from(status: shared::api::orders::OrderStatus) -> Self {
        use shared::api::orders::OrderStatus as Wire;
        match status {
            Wire::Pending => Self::Pending,
            Wire::Processing => Self::Processing,
            Wire::Shipped => Self::Shipped,
            Wire::Delivered => Self::Delivered,
            Wire::Rejected => Self::Rejected,
            Wire::Cancelled => Self::Cancelled,
        }
    }
}

impl From<Status> for shared::api::orders::OrderStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pending => Self::Pending,
            Status::Processing => Self::Processing,
            Status::Shipped => Self::Shipped,
            Status::Delivered => Self::Delivered,
            Status::Rejected => Self::Rejected,
            Status::Cancelled => Self::Cancelled,
        }
    }
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Processing,
        Self::Shipped,
        Self::Delivered,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The wire spelling, e.g. `PROCESSING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Rejected => "REJECTED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Whether the machine allows `self → next`.
    pub fn can_become(self, next: Self) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Pending, Processing | Rejected | Cancelled)
                | (Processing, Shipped | Cancelled)
                | (Shipped, Delivered)
        )
    }

    /// Whether an admin may make `self → next` by hand. `PENDING → PROCESSING` and
    /// `PENDING → REJECTED` belong to the stock saga: only product-service knows whether the
    /// stock is there, and moving them by hand would leave stock reserved for a rejected order
    /// or an order in preparation with none.
    pub fn admin_may_set(self, next: Self) -> bool {
        let saga_owned = self == Self::Pending && matches!(next, Self::Processing | Self::Rejected);
        self.can_become(next) && !saga_owned
    }

    /// Whether nothing follows this status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Rejected | Self::Cancelled)
    }

    /// Whether a customer may still cancel.
    pub fn is_cancellable(self) -> bool {
        self.can_become(Self::Cancelled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let all: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                format!("must be one of {}", all.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn the_happy_path_is_legal_step_by_step_and_never_skips() {
        assert!(Pending.can_become(Processing));
        assert!(Processing.can_become(Shipped));
        assert!(Shipped.can_become(Delivered));
        assert!(!Pending.can_become(Shipped));
        assert!(!Processing.can_become(Delivered));
        assert!(!Pending.can_become(Delivered));
    }

    #[test]
    fn final_statuses_lead_nowhere() {
        for from in [Delivered, Rejected, Cancelled] {
            assert!(from.is_final());
            for to in Status::ALL {
                assert!(!from.can_become(to), "{from} → {to}");
            }
        }
    }

    #[test]
    fn only_pending_and_processing_orders_can_be_cancelled_or_go_back() {
        let cancellable: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| s.is_cancellable())
            .collect();
        assert_eq!(cancellable, [Pending, Processing]);
        assert!(!Processing.can_become(Pending));
        assert!(!Shipped.can_become(Processing));
        assert!(Pending.can_become(Rejected));
        assert!(!Processing.can_become(Rejected));
    }

    #[test]
    fn admins_move_orders_along_but_leave_stock_decisions_to_the_saga() {
        assert!(Processing.admin_may_set(Shipped));
        assert!(Shipped.admin_may_set(Delivered));
        assert!(Pending.admin_may_set(Cancelled));
        assert!(Processing.admin_may_set(Cancelled));
        assert!(!Pending.admin_may_set(Processing));
        assert!(!Pending.admin_may_set(Rejected));
        assert!(!Delivered.admin_may_set(Shipped));
    }

    #[test]
    fn statuses_read_case_insensitively_and_print_in_capitals() {
        assert_eq!("shipped".parse::<Status>().unwrap(), Shipped);
        assert_eq!(Shipped.to_string(), "SHIPPED");
        assert!("LOST".parse::<Status>().unwrap_err().contains("PENDING"));
        assert_eq!(serde_json::to_string(&Cancelled).unwrap(), "\"CANCELLED\"");
    }
}
