//! `GET /dashboard/performance`: recent figures of every service, from the difference between
//! scrapes of its `/metrics`.
//!
//! The counters a service exposes run from its start, so one scrape only gives totals since
//! then. [`Scrapes`] keeps each service's scrapes of the last `window` (a background task takes
//! one every `every`, and each dashboard request one more), and the dashboard reads the
//! increase between the oldest and the newest: requests per second, error rate and latency
//! quantiles over those minutes. A counter that went down means the process restarted; its new
//! value is then the increase. Gauges (open streams) are read from the newest scrape.
//!
//! A service that does not answer is reported `up: false`, never failing the whole answer.
//! Every service is scraped over HTTP, this one included, so that what the dashboard shows is
//! what its URL serves.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use shared::api::reports::{Performance, ServiceFigures};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::domain::prometheus::{self, Sample};

/// How often every service is scraped, and over how long figures are reported.
#[derive(Debug, Clone, Copy)]
pub struct ScrapeConfig {
    /// Time between two background scrapes.
    pub every: Duration,
    /// The span the figures cover: scrapes older than this are dropped.
    pub window: Duration,
}

impl Default for ScrapeConfig {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(15),
            window: Duration::from_secs(300),
        }
    }
}

/// One scrape: when, and every series' value.
struct Scrape {
    at: Instant,
    series: HashMap<(String, BTreeMap<String, String>), f64>,
}

/// The recent scrapes of every service. Cheap to clone.
#[derive(Clone)]
pub struct Scrapes {
    config: ScrapeConfig,
    by_service: Arc<Mutex<HashMap<String, VecDeque<Scrape>>>>,
}

impl Scrapes {
    /// No scrapes yet.
    pub fn new(config: ScrapeConfig) -> Self {
        Self {
            config,
            by_service: Arc::default(),
        }
    }

    /// Scrapes every service in `services` (name, base URL) every `every` until `cancel` fires.
    pub fn spawn(
        &self,
        client: reqwest::Client,
        services: Vec<(String, String)>,
        cancel: CancellationToken,
    ) {
        let scrapes = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(scrapes.config.every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = tick.tick() => { scrapes.scrape_all(&client, &services).await; }
                }
            }
        });
    }

    /// Scrapes every service now; what each answered (or why not).
    async fn scrape_all(
        &self,
        client: &reqwest::Client,
        services: &[(String, String)],
    ) -> Vec<Result<Vec<Sample>, String>> {
        let fetches = services.iter().map(|(name, url)| async move {
            let samples = fetch(client, url).await.map(|t| prometheus::parse(&t));
            if let Ok(samples) = &samples {
                self.record(name, samples);
            }
            samples
        });
        futures::future::join_all(fetches).await
    }

    /// Keeps `samples` as `service`'s newest scrape and drops the ones older than the window.
    /// Scrapes closer together than `every` replace each other, so frequent dashboard requests
    /// do not pile them up.
    fn record(&self, service: &str, samples: &[Sample]) {
        let now = Instant::now();
        let scrape = Scrape {
            at: now,
            series: samples
                .iter()
                .map(|s| ((s.name.clone(), s.labels.clone()), s.value))
                .collect(),
        };
        let mut all = self.by_service.lock().unwrap_or_else(|e| e.into_inner());
        let kept = all.entry(service.to_owned()).or_default();
        if kept.len() >= 2 && now.duration_since(kept[kept.len() - 2].at) < self.config.every {
            kept.pop_back();
        }
        kept.push_back(scrape);
        while kept
            .front()
            .is_some_and(|s| now.duration_since(s.at) > self.config.window)
        {
            kept.pop_front();
        }
    }

    /// The increase of every counter between `service`'s oldest and newest scrape, the newest
    /// gauges, and the seconds between the two.
    fn increase(&self, service: &str) -> Option<(Vec<Sample>, Vec<Sample>, f64)> {
        let all = self.by_service.lock().unwrap_or_else(|e| e.into_inner());
        let kept = all.get(service)?;
        let (oldest, newest) = (kept.front()?, kept.back()?);
        let seconds = newest.at.duration_since(oldest.at).as_secs_f64();
        let mut counters = Vec::new();
        let mut latest = Vec::new();
        for ((name, labels), value) in &newest.series {
            let before = oldest.series.get(&(name.clone(), labels.clone()));
            let increase = match before {
                Some(b) if value >= b => value - b,
                // Restarted since (or new since the oldest scrape): all of it is recent.
                _ => *value,
            };
            counters.push(Sample {
                name: name.clone(),
                labels: labels.clone(),
                value: increase,
            });
            latest.push(Sample {
                name: name.clone(),
                labels: labels.clone(),
                value: *value,
            });
        }
        Some((counters, latest, seconds))
    }
}

/// Scrapes every service in `services` (name, base URL) now and summarises what changed over
/// the window.
pub async fn gather(
    client: &reqwest::Client,
    scrapes: &Scrapes,
    services: &[(String, String)],
) -> Performance {
    let answers = scrapes.scrape_all(client, services).await;
    let services = services
        .iter()
        .zip(answers)
        .map(|((name, url), answer)| match answer {
            Err(error) => ServiceFigures {
                service: name.clone(),
                url: url.clone(),
                up: false,
                error: Some(error),
                since_seconds: None,
                requests: None,
                per_second: None,
                routes: None,
                open_streams: None,
                streams: None,
            },
            Ok(_) => summarise(name, url, scrapes),
        })
        .collect();
    Performance {
        services,
        window_seconds: scrapes.config.window.as_secs(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

fn summarise(name: &str, url: &str, scrapes: &Scrapes) -> ServiceFigures {
    let (increase, latest, seconds) = scrapes.increase(name).unwrap_or_default();
    let routes = prometheus::routes(&increase, name, seconds);
    let streams = prometheus::streams(&latest);
    let requests: u64 = routes.iter().map(|r| r.requests).sum();
    ServiceFigures {
        service: name.to_owned(),
        url: url.to_owned(),
        up: true,
        error: None,
        since_seconds: Some(prometheus::tidy(seconds, 1e3)),
        requests: Some(requests),
        per_second: Some(prometheus::per_second(requests as f64, seconds)),
        routes: Some(routes),
        open_streams: Some(prometheus::tidy(streams.values().sum::<f64>(), 1e3)),
        streams: Some(streams),
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = client
        .get(format!("{url}/metrics"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}
