//! `cargo xtask up`: infrastructure, the web front end, build, the seven services, health, the
//! seed, then how to use it.

use anyhow::{Context as _, Result};

use crate::{
    cleanup::Started,
    ctx::Ctx,
    seed::{self, DemoLogin, Gateway},
    suite, web,
};

/// Runs every step; the services keep running after we exit (also when a step fails: what
/// started is left for `status` and `down`).
pub fn run(ctx: &Ctx) -> Result<()> {
    // The API works without the pages: a failed web build is said, not fatal.
    let web = web::build(ctx);
    if let Err(error) = &web {
        ctx.progress.step(
            "web",
            format!("warning: not built ({error:#}); the API still starts"),
        );
    }
    suite::start(ctx, &suite::no_extra_env, &mut Started::default())?;

    // The seed goes to the gateway started above, whatever GATEWAY_URL says.
    let seeded = seed::run(ctx, &Gateway::local());
    let logins = seeded
        .as_ref()
        .map_or(&[][..], |outcome| &outcome.logins[..]);
    print_summary(ctx, logins, web.is_ok());
    seeded.map(drop).context(
        "seeding the demo data; the services keep running: fix the cause, then \
         `cargo xtask seed`",
    )
}

fn print_summary(ctx: &Ctx, logins: &[DemoLogin], web_built: bool) {
    let logs = ctx.paths.show(&ctx.paths.local().join("logs"));
    println!();
    println!("The shop suite is up.");
    if web_built {
        println!("  storefront: http://127.0.0.1:5000/          (sign in as the demo customer)");
        println!("  console:    http://127.0.0.1:5000/console   (sign in as the admin)");
    } else {
        println!("  storefront and console: not built (see the warning above)");
    }
    println!("  gateway:  http://127.0.0.1:5000   (aggregated health: /api/health)");
    println!("  logs:     {logs}/<service>.log   (e.g. tail -f {logs}/gateway.log)");
    println!("  status:   cargo xtask status");
    println!("  stop:     cargo xtask down");
    if logins.is_empty() {
        println!("  demo logins: none, the seed failed (see below)");
    }
    for login in logins {
        let label = format!("demo login ({}):", login.role);
        println!("  {label:<28} {login}");
    }
}
