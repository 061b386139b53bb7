//! The sales report as a PDF (A4, pdf-writer): a title, the period's totals, revenue by day,
//! the best sellers, the discounts per coupon and the returns. Text is set in two of the
//! standard 14 fonts, which every reader has, so nothing is embedded: Helvetica for headings
//! and Courier for the tables, whose fixed width lines the numbers up without font metrics.
//! Those fonts cover Latin-1 (WinAnsiEncoding); any other character is written as `?`.
//! A table longer than the page goes on to the next one.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::Sales;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const LINE: f32 = 13.0;
/// Characters of Courier at [`TABLE_SIZE`] across the page between the margins.
const COLUMNS: usize = 90;
const TABLE_SIZE: f32 = 9.0;

const HEADING: Name = Name(b"F1");
const BODY: Name = Name(b"F2");
const TABLE: Name = Name(b"F3");

/// `text` in WinAnsiEncoding, as far as Latin-1 goes.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .ok()
                .filter(|b| *b >= 0x20)
                .unwrap_or(b'?')
        })
        .collect()
}

/// Lines set on pages, a page begun when the last is full.
struct Pages {
    done: Vec<Content>,
    page: Content,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Self {
            done: Vec::new(),
            page: Content::new(),
            y: HEIGHT - MARGIN,
        }
    }

    fn room(&mut self, lines: f32) {
        if self.y - lines * LINE < MARGIN {
            let full = std::mem::replace(&mut self.page, Content::new());
            self.done.push(full);
            self.y = HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, font: Name, size: f32, text: &str) {
        self.room(1.0);
        self.y -= size.max(LINE - 2.0) + 2.0;
        self.page
            .begin_text()
            .set_font(font, size)
            .next_line(MARGIN, self.y)
            .show(Str(&latin1(text)))
            .end_text();
    }

    fn heading(&mut self, text: &str) {
        self.room(4.0);
        self.y -= 8.0;
        self.text(HEADING, 13.0, text);
        self.y -= 2.0;
    }

    fn row(&mut self, text: &str) {
        let cut: String = text.chars().take(COLUMNS).collect();
        self.text(TABLE, TABLE_SIZE, &cut);
    }

    fn rule(&mut self) {
        self.y -= 3.0;
        self.page
            .set_line_width(0.5)
            .move_to(MARGIN, self.y)
            .line_to(WIDTH - MARGIN, self.y)
            .stroke();
        self.y -= 2.0;
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

// Money's `Display` does not pad: amounts are made text before they go into a column.

/// `name` fitted to `width` characters (cut with `…` written as `...`).
fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_owned();
    }
    let cut: String = name.chars().take(width.saturating_sub(3)).collect();
    format!("{cut}...")
}

fn totals(p: &mut Pages, sales: &Sales) {
    let t = sales.totals();
    let d = &sales.discounts.totals;
    let r = &sales.returns;
    p.heading("Totals");
    if t.orders == 0 {
        p.text(BODY, 10.0, "No orders in this period.");
    }
    for (label, value) in [
        ("Orders", t.orders.to_string()),
        ("Revenue (gross)", t.gross.to_string()),
        ("Refunds", t.refunds.to_string()),
        ("Net revenue", t.net.to_string()),
        ("Coupon discounts", d.coupon_discount.to_string()),
        ("Tier discounts", d.tier_discount.to_string()),
        ("Points redeemed", d.points_discount.to_string()),
        (
            "Returns requested / refunded",
            format!("{} / {}", r.requested, r.refunded),
        ),
        ("Refunded for returns", r.refunded_amount.to_string()),
    ] {
        p.row(&format!("{label:<32}{value:>16}"));
    }
}

fn days(p: &mut Pages, sales: &Sales) {
    p.heading("Revenue by day");
    p.row(&format!(
        "{:<12}{:>8}{:>14}{:>14}{:>14}{:>16}",
        "Day", "Orders", "Gross", "Refunds", "Net", "New customers"
    ));
    p.rule();
    for day in &sales.days {
        p.row(&format!(
            "{:<12}{:>8}{:>14}{:>14}{:>14}{:>16}",
            day.date,
            day.order_count,
            day.gross.to_string(),
            day.refunds.to_string(),
            day.net.to_string(),
            day.new_customers
        ));
    }
}

fn best_sellers(p: &mut Pages, sales: &Sales) {
    p.heading("Best sellers");
    if sales.top.is_empty() {
        p.text(BODY, 10.0, "Nothing sold in this period.");
        return;
    }
    p.row(&format!(
        "{:<50}{:>10}{:>16}",
        "Product", "Units", "Revenue"
    ));
    p.rule();
    for top in &sales.top {
        let name = top.name.as_deref().unwrap_or(&top.product_id);
        p.row(&format!(
            "{:<50}{:>10}{:>16}",
            fit(name, 48),
            top.units,
            top.revenue.to_string()
        ));
    }
}

fn coupons(p: &mut Pages, sales: &Sales) {
    p.heading("Discounts by coupon");
    if sales.discounts.coupons.is_empty() {
        p.text(BODY, 10.0, "No coupon was used in this period.");
        return;
    }
    p.row(&format!(
        "{:<24}{:>10}{:>16}{:>16}",
        "Coupon", "Orders", "Discount", "Revenue"
    ));
    p.rule();
    for c in &sales.discounts.coupons {
        p.row(&format!(
            "{:<24}{:>10}{:>16}{:>16}",
            fit(&c.code, 22),
            c.orders,
            c.discount.to_string(),
            c.revenue.to_string()
        ));
    }
}

fn returns(p: &mut Pages, sales: &Sales) {
    p.heading("Returns by reason");
    if sales.returns.by_reason.is_empty() {
        p.text(BODY, 10.0, "No return was asked for in this period.");
        return;
    }
    for (reason, n) in &sales.returns.by_reason {
        p.row(&format!("{:<50}{n:>10}", fit(reason, 48)));
    }
}

fn lay_out(sales: &Sales) -> Vec<Content> {
    let mut p = Pages::new();
    let span = &sales.period;
    p.text(HEADING, 20.0, "Sales report");
    p.text(
        BODY,
        11.0,
        &format!("{} to {} ({} days)", span.from, span.to, span.days),
    );
    totals(&mut p, sales);
    days(&mut p, sales);
    best_sellers(&mut p, sales);
    coupons(&mut p, sales);
    returns(&mut p, sales);
    p.finish()
}

/// The report as a PDF document.
pub fn render(sales: &Sales) -> Vec<u8> {
    let pages = lay_out(sales);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let fonts = [
        (Ref::new(3), b"Helvetica-Bold".as_slice()),
        (Ref::new(4), b"Helvetica".as_slice()),
        (Ref::new(5), b"Courier".as_slice()),
    ];
    let info = Ref::new(6);
    let mut next = 7;
    let mut ids = Vec::new();
    pdf.catalog(catalog).pages(tree);
    for (font, base) in fonts {
        pdf.type1_font(font)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for content in pages {
        let (page_id, content_id) = (Ref::new(next), Ref::new(next + 1));
        next += 2;
        ids.push(page_id);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut names = resources.fonts();
        for (name, (font, _)) in [HEADING, BODY, TABLE].into_iter().zip(fonts) {
            names.pair(name, font);
        }
        names.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    let count = i32::try_from(ids.len()).unwrap_or(i32::MAX);
    pdf.pages(tree).kids(ids).count(count);
    let title = format!("Sales report {} to {}", sales.period.from, sales.period.to);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&title))
        .producer(pdf_writer::TextStr("the shop suite, analytics-service"));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_outside_latin_1_is_written_as_a_question_mark() {
        assert_eq!(latin1("Café"), b"Caf\xe9".to_vec());
        assert_eq!(latin1("水 lamp"), b"? lamp".to_vec());
        assert_eq!(fit("A very long product name indeed", 12), "A very lo...");
    }
}
