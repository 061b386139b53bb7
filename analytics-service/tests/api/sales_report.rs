//! The sales report to download (issue 19): `GET /analytics/reports/sales.csv` and `.pdf` hold
//! the same figures as the JSON reports of the period (revenue by day, best sellers, discounts,
//! returns); the PDF renders (poppler's `pdftoppm`, to PNG and to grey pixels with ink on
//! them) and its text (`pdftotext`) holds the figures; an empty period gives a report of zeros;
//! a bad period is a 400 and a customer a 403. Real MongoDB and RabbitMQ.

use std::{path::Path, process::Command};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::events::{Envelope, keys};

use crate::{
    helpers::{TestApp, spawn_app},
    reports::{bad_periods_are_refused, discounted},
};

const PERIOD: &str = "from=2026-07-01&to=2026-07-03";

/// A return of order `o-<id>` asked for on 2026-07-02 and refunded.
fn returned(id: &str, reason: &str, amount: f64) -> Vec<Envelope> {
    [keys::RETURN_REQUESTED, keys::RETURN_REFUNDED]
        .into_iter()
        .map(|kind| {
            let mut e = Envelope::new(
                kind,
                "order-service",
                "req",
                json!({"returnId": id, "orderId": format!("o-{id}"), "customerId": "c1",
                    "items": [{"productId": "p1", "quantity": 1}], "amount": amount,
                    "status": "REQUESTED", "reason": reason}),
            );
            e.occurred_at = "2026-07-02T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
            e
        })
        .collect()
}

impl TestApp {
    /// An admin's download: status, content type, disposition and bytes.
    async fn download(&self, path: &str) -> (u16, String, String, Vec<u8>) {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .header("authorization", &self.admin)
            .send()
            .await
            .expect("request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (status, kind, disposition) = (
            response.status().as_u16(),
            header("content-type"),
            header("content-disposition"),
        );
        (
            status,
            kind,
            disposition,
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

/// A directory of this test's own under the system's temporary one, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("sales-report-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a poppler tool; its absence fails the test (`cargo xtask test` installs it).
fn poppler(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| {
            panic!("{program} (poppler-utils, installed by `cargo xtask test`): {e}")
        });
    assert!(status.success(), "{program} {args:?}: {status}");
}

/// The PDF's text, laid out as on the page, and the share of its first page's pixels that
/// carry ink, from a grey rendering; checks that the PNG rendering is a PNG.
fn read_pdf(pdf: &[u8], dir: &Path) -> (String, f64) {
    let file = dir.join("sales.pdf");
    std::fs::write(&file, pdf).unwrap();
    let f = file.to_str().unwrap();
    let png = dir.join("page");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            f,
            png.to_str().unwrap(),
        ],
    );
    let rendered = std::fs::read(dir.join("page-1.png")).expect("pdftoppm wrote the first page");
    assert!(rendered.starts_with(b"\x89PNG"), "a PNG");
    let grey = dir.join("grey");
    poppler(
        "pdftoppm",
        &[
            "-gray",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            f,
            grey.to_str().unwrap(),
        ],
    );
    let pgm = std::fs::read(dir.join("grey-1.pgm")).expect("pdftoppm wrote the grey page");
    // "P5\n<w> <h>\n255\n" then one byte a pixel.
    let mut header_ends = 0;
    for _ in 0..3 {
        header_ends += pgm[header_ends..].iter().position(|b| *b == b'\n').unwrap() + 1;
    }
    let pixels = &pgm[header_ends..];
    let ink = pixels.iter().filter(|p| **p < 128).count() as f64 / pixels.len() as f64;
    let text = dir.join("sales.txt");
    poppler("pdftotext", &["-layout", f, text.to_str().unwrap()]);
    (std::fs::read_to_string(text).unwrap(), ink)
}

#[tokio::test]
async fn the_sales_report_holds_the_periods_figures_as_csv_and_as_a_pdf_that_renders() {
    let app = spawn_app().await;
    let mut events = discounted();
    events.extend(returned("r1", "damaged", 12.5));
    app.publish_all(&events).await;
    let days = app
        .data(&format!("/analytics/daily-revenue?{PERIOD}"))
        .await;
    let discounts = app.data(&format!("/analytics/discounts?{PERIOD}")).await;

    let (status, kind, disposition, csv) = app
        .download(&format!("/analytics/reports/sales.csv?{PERIOD}"))
        .await;

    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_eq!(
        disposition,
        "attachment; filename=\"sales-2026-07-01-2026-07-03.csv\""
    );
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Sales report,2026-07-01,2026-07-03,3 days");
    let money = |v: &Value| format!("{:.2}", v.as_f64().unwrap());
    for day in days.as_array().unwrap() {
        let row = format!(
            "{},{},{},{},{},{}",
            day["date"].as_str().unwrap(),
            day["orderCount"],
            money(&day["gross"]),
            money(&day["refunds"]),
            money(&day["net"]),
            day["newCustomers"]
        );
        assert!(lines.contains(&row.as_str()), "{row} in\n{csv}");
    }
    for coupon in discounts["coupons"].as_array().unwrap() {
        let row = format!(
            "{},{},{},{}",
            coupon["code"].as_str().unwrap(),
            coupon["orders"],
            money(&coupon["discount"]),
            money(&coupon["revenue"])
        );
        assert!(lines.contains(&row.as_str()), "{row} in\n{csv}");
    }
    assert!(lines.contains(&"2026-07-01,6.67,0.00,0.30,1.50"), "{csv}");
    assert!(lines.contains(&"damaged,1"), "{csv}");
    assert!(lines.iter().any(|l| l.starts_with("p1,Mug,")), "{csv}");

    let (status, kind, disposition, pdf) = app
        .download(&format!("/analytics/reports/sales.pdf?{PERIOD}"))
        .await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(
        disposition.ends_with("sales-2026-07-01-2026-07-03.pdf\""),
        "{disposition}"
    );
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let dir = Scratch::new();
    let (text, ink) = read_pdf(&pdf, &dir.0);
    assert!(ink > 0.01, "the page carries text and lines: {ink}");
    assert!(text.contains("Sales report"), "{text}");
    assert!(text.contains("2026-07-01 to 2026-07-03 (3 days)"), "{text}");
    // pdftotext spaces the columns its own way: compare a day's row word by word.
    for day in days.as_array().unwrap() {
        let date = day["date"].as_str().unwrap();
        let expected = [
            date.to_owned(),
            day["orderCount"].to_string(),
            money(&day["gross"]),
            money(&day["refunds"]),
            money(&day["net"]),
            day["newCustomers"].to_string(),
        ];
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with(date) && !l.contains(" to "))
            .unwrap_or_else(|| panic!("{date} in\n{text}"));
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(words, expected, "{text}");
    }
    assert!(text.contains("WELCOME10"), "{text}");
    assert!(text.contains("Mug"), "{text}");
    assert!(text.contains("damaged"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn an_empty_period_gives_a_report_of_zeros_and_bad_requests_are_refused() {
    let app = spawn_app().await;
    let empty = "from=2020-01-01&to=2020-01-07";

    let (status, _, _, csv) = app
        .download(&format!("/analytics/reports/sales.csv?{empty}"))
        .await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    let zero_days = csv
        .lines()
        .filter(|l| l.starts_with("2020-01-0") && l.ends_with(",0,0.00,0.00,0.00,0"))
        .count();
    assert_eq!(zero_days, 7, "{csv}");
    assert!(
        csv.contains("\r\nTop products\r\nproduct_id,name,units,revenue\r\n\r\n"),
        "{csv}"
    );
    let (status, _, _, pdf) = app
        .download(&format!("/analytics/reports/sales.pdf?{empty}"))
        .await;
    assert_eq!(status, 200);
    let dir = Scratch::new();
    let (text, _) = read_pdf(&pdf, &dir.0);
    assert!(text.contains("No orders in this period."), "{text}");
    assert!(text.contains("Nothing sold in this period."), "{text}");

    for path in [
        "/analytics/reports/sales.csv",
        "/analytics/reports/sales.pdf",
    ] {
        bad_periods_are_refused(&app, path).await;
    }
    app.stop().await;
}
