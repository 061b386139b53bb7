//! The gateway bench's report: the tables and the verdicts printed, and written to
//! `bench/results/gateway.{json,md}`.

use anyhow::Result;
use serde_json::Value;

use super::{
    CONNECTIONS, MEASURE, Machine, Paired, ROUNDS, TARGET_VS_DIRECT, THREADS, Table, WARM_UP,
    WRITE_CONNECTIONS, cpu, median_of, setup,
};
use crate::ctx::Ctx;

/// Prints the table and the targets, writes the JSON and Markdown files.
pub(super) fn report(
    ctx: &Ctx,
    tables: &[Table; 2],
    paired: &Paired,
    cpu: &[cpu::CpuRow],
    machine: &Machine,
) -> Result<()> {
    let vs_direct = median_of(&paired.vs_direct);
    let vs_nginx = median_of(&paired.vs_nginx);
    let put_vs_direct = median_of(&paired.put_vs_direct);
    let put_vs_nginx = median_of(&paired.put_vs_nginx);
    let traced_vs_not = median_of(&paired.traced_vs_not);
    let targets = verdicts(paired);
    let [reads, writes] = tables;
    println!();
    print!("{}", reads.render_text());
    println!();
    print!("{}", writes.render_text());
    println!("{targets}");
    print!("{}", cpu::markdown(cpu));

    let settings = settings();
    println!("{settings}.");
    let json = Value::from_iter(vec![
        ("benchmark", Value::String("gateway".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings.clone())),
        ("results", reads.to_json()),
        ("writes", writes.to_json()),
        ("cpuPerRequestMicros", cpu::json(cpu)),
        (
            "targets",
            Value::from_iter(vec![
                (
                    "gatewayTokenVsNginx",
                    crate::bench::number(round3(vs_nginx)),
                ),
                ("gatewayTokenVsNginxPerRound", per_round(&paired.vs_nginx)),
                (
                    "gatewayTokenVsDirect",
                    crate::bench::number(round3(vs_direct)),
                ),
                (
                    "gatewayPutVsNginx",
                    crate::bench::number(round3(put_vs_nginx)),
                ),
                ("gatewayPutVsNginxPerRound", per_round(&paired.put_vs_nginx)),
                (
                    "gatewayPutVsDirect",
                    crate::bench::number(round3(put_vs_direct)),
                ),
                (
                    "tracedVsUntraced",
                    crate::bench::number(round3(traced_vs_not)),
                ),
                ("tracedVsUntracedPerRound", per_round(&paired.traced_vs_not)),
                ("atLeastNginx", Value::Bool(vs_nginx >= 1.0)),
                (
                    "atLeastShareOfDirect",
                    Value::Bool(vs_direct >= TARGET_VS_DIRECT),
                ),
            ]),
        ),
    ]);
    let markdown = setup::markdown(
        [reads, writes],
        machine,
        &settings,
        &targets,
        &cpu::markdown(cpu),
    );
    crate::bench::write_results(ctx, "gateway", &crate::http::pretty(&json), &markdown)
}

/// Each round's ratio, to three decimals.
fn per_round(ratios: &[f64]) -> Value {
    Value::Array(
        ratios
            .iter()
            .map(|r| crate::bench::number(round3(*r)))
            .collect(),
    )
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// How the rows were measured, for the report.
fn settings() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    format!(
        "wrk, {THREADS} threads, {CONNECTIONS} connections ({WRITE_CONNECTIONS} for the write \
         rows), {}s warm-up then {}s measured per row, on loopback, from a second process on the same machine; {ROUNDS} rounds over \
         the rows in turn, forth in one round and back in the next, so that the two rows \
         of each ratio are measured back to back and each first as often as last, each \
         row's median round reported, each ratio the median of the rounds' ratios; CPU \
         time per request read from the kernel's scheduler statistics of every thread of \
         the proxy (nginx's master and workers) and of product-service over each measured \
         run, each row's median round reported. nginx: \
         `worker_processes auto` ({cores} worker processes here, one per core), up to {} idle \
         keep-alive connections to product-service per worker; gateway: {cores} connection \
         threads, one per core, each a single-threaded tokio runtime serving the connections \
         it is handed, its fast lane serving these requests, up to 64 idle keep-alive \
         connections to product-service per thread. Both share the {cores} cores with wrk \
         and product-service",
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        crate::bench::nginx::UPSTREAM_KEEPALIVE,
    )
}

/// The targets' verdicts, each the median of the rounds' ratios, with the rounds listed.
fn verdicts(paired: &Paired) -> String {
    let vs_direct = median_of(&paired.vs_direct);
    let vs_nginx = median_of(&paired.vs_nginx);
    let put_vs_direct = median_of(&paired.put_vs_direct);
    let put_vs_nginx = median_of(&paired.put_vs_nginx);
    let traced_vs_not = median_of(&paired.traced_vs_not);
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    format!(
        "gateway with a token check vs nginx, median of the rounds' ratios: {vs_nginx:.2} \
         (rounds: {}; target ≥ 1.00: {}); vs direct: {vs_direct:.2} (rounds: {}; target ≥ \
         {TARGET_VS_DIRECT:.2}: {}). The validated write through the gateway vs nginx: \
         {put_vs_nginx:.2} (rounds: {}; target ≥ 1.00: {}); vs direct: {put_vs_direct:.2} \
         (rounds: {}; target ≥ {TARGET_VS_DIRECT:.2}: {}). Tracing on (the gateway and \
         product-service each exporting every request's spans over OTLP/HTTP to a sink) vs \
         off, the same request with a token: {traced_vs_not:.2} (rounds: {})",
        listed(&paired.vs_nginx),
        verdict(vs_nginx >= 1.0),
        listed(&paired.vs_direct),
        verdict(vs_direct >= TARGET_VS_DIRECT),
        listed(&paired.put_vs_nginx),
        verdict(put_vs_nginx >= 1.0),
        listed(&paired.put_vs_direct),
        verdict(put_vs_direct >= TARGET_VS_DIRECT),
        listed(&paired.traced_vs_not)
    )
}

/// `0.91 0.97 1.02` — each round's ratio, in order.
fn listed(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}
