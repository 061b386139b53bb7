//! `cargo xtask seed`: demo customers and an empty catalog's products, through the running
//! suite's public API (`GATEWAY_URL`, default the local gateway), and the demo orders through
//! `order-service seed`; then the logins.

use anyhow::Result;

use crate::{ctx::Ctx, seed};

/// Seeds, then prints what it did and the demo logins.
pub fn run(ctx: &Ctx) -> Result<()> {
    let outcome = seed::run(ctx, &seed::Gateway::from_env()?)?;
    println!();
    println!("Seeded through {}:", outcome.api_url);
    println!("  products:   {}", outcome.products_line());
    println!("  customers:  {}", outcome.customers_line());
    println!("  orders:     {}", outcome.orders.line());
    println!("Demo logins:");
    for login in &outcome.logins {
        println!("  {:<11} {login}", login.role);
    }
    Ok(())
}
