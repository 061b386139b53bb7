//! What a benchmark run leaves in the stores — its queues and exchange, its databases
//! (`bench_<run>_*`) and Redis keys (`bench:<run>:*`) — removed when its guard drops, after its
//! services are stopped. A run's queues are named after its own exchange, so a later run never
//! inherits (and drains) an earlier one's backlog; removing them keeps the broker and the stand-in
//! from filling up run after run. AMQP cannot list queues: `rabbitmqctl list_queues` does, and
//! `loadgen clean` removes the rest.

use std::process::Command;

use crate::{ctx::Ctx, exec, infra::Urls};

/// One run's names in the stores.
#[derive(Debug, Clone)]
pub struct Leftovers {
    /// The run id.
    pub run: String,
    /// The run's exchange, `bench.<benchmark>.<run>`.
    pub exchange: String,
    /// Where the stores are.
    pub urls: Urls,
}

impl Leftovers {
    /// The names of `benchmark`'s run `run`.
    pub fn new(benchmark: &str, run: &str, urls: &Urls) -> Self {
        Self {
            run: run.to_owned(),
            exchange: exchange(benchmark, run),
            urls: urls.clone(),
        }
    }
}

/// The exchange of `benchmark`'s run `run`: its services' queues are named after it.
pub fn exchange(benchmark: &str, run: &str) -> String {
    format!("bench.{benchmark}.{run}")
}

/// Removes them. Problems are printed, not returned: this runs on the way out.
pub fn remove(ctx: &Ctx, leftovers: &Leftovers) {
    let queues = list_queues(&leftovers.exchange).unwrap_or_else(|why| {
        eprintln!(
            "warning: {why}; the run's queues stay (`{}.*`)",
            leftovers.exchange
        );
        Vec::new()
    });
    let mut cmd = Command::new(ctx.paths.release_binary("loadgen"));
    cmd.current_dir(&ctx.paths.root).args([
        "clean",
        "--mongodb",
        &leftovers.urls.mongodb,
        "--amqp",
        &leftovers.urls.amqp,
        "--redis",
        &leftovers.urls.redis,
        "--run",
        &leftovers.run,
        "--exchange",
        &leftovers.exchange,
    ]);
    if !queues.is_empty() {
        cmd.args(["--queues", &queues.join(",")]);
    }
    match cmd.output() {
        Ok(output) if output.status.success() => {
            let said = String::from_utf8_lossy(&output.stdout);
            ctx.progress.step(
                "clean",
                format!("run {} removed: {}", leftovers.run, said.trim()),
            );
        }
        Ok(output) => eprintln!(
            "warning: loadgen clean failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => eprintln!("warning: cannot run loadgen clean: {error}"),
    }
}

/// The broker's queues named `<exchange>.…`.
fn list_queues(exchange: &str) -> Result<Vec<String>, String> {
    let ctl = exec::find_program("rabbitmqctl").ok_or("rabbitmqctl is not installed")?;
    let output = Command::new(ctl)
        .args(["list_queues", "name", "--quiet", "--no-table-headers"])
        .output()
        .map_err(|e| format!("cannot run rabbitmqctl: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rabbitmqctl list_queues failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(of_exchange(
        &String::from_utf8_lossy(&output.stdout),
        exchange,
    ))
}

/// The lines of `rabbitmqctl list_queues name` that name one of `exchange`'s queues.
fn of_exchange(listing: &str, exchange: &str) -> Vec<String> {
    let prefix = format!("{exchange}.");
    listing
        .lines()
        .map(str::trim)
        .filter(|name| name.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_queues_are_those_under_its_exchange_and_no_other_runs() {
        let listing = "bench.orders.a1.order-service.stock\n\
                       bench.orders.a1.analytics-service.all.retry.2000\n\
                       bench.orders.a12.order-service.stock\n\
                       shop.events.order-service.stock\n\n";
        assert_eq!(
            of_exchange(listing, "bench.orders.a1"),
            [
                "bench.orders.a1.order-service.stock",
                "bench.orders.a1.analytics-service.all.retry.2000",
            ]
        );
    }
}
