//! The command line: `loadgen orders --gateway URL ...` or `loadgen streams --orders URL ...`,
//! every option as `--name value`.

use std::{collections::BTreeMap, str::FromStr};

use crate::{clean, drill, orders, relay, streams};

/// The usage text, printed after a bad argument.
pub const USAGE: &str = "\
Usage:
  loadgen orders --gateway URL --admin-email E --admin-password P --run ID
                 [--rates 2,5,10] [--stage-secs 10] [--customers 20] [--login-every 4]
                 [--follow-secs 30] [--max-in-flight 4000] [--paths direct,shop]
                 [--shop-customers 100] [--coupon-every 2]
  loadgen streams --orders URL --customers URL --products URL --admin-email E
                  --admin-password P --run ID --n 1000 [--kinds sse,ws] [--pid PID] [--reach-secs 10]
                  [--sources 16] [--connect-concurrency 200]
  loadgen drill --gateway URL --admin-email E --admin-password P --run ID
                --kind broker|database|service|network|redis|poison|replica [--outage-secs 20]
                [--broker-url URL] [--exchange shop.events]
  loadgen relay --mongodb URI --amqp URL --run ID [--events 20000] [--documents 2000]
  loadgen clean --mongodb URI --amqp URL --redis URL --run ID --exchange E [--queues q1,q2]
Prints one JSON document on stdout; progress on stderr.";

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// The shop's mix at rising rates.
    Orders(orders::Params),
    /// Many subscribers of one order.
    Streams(streams::Params),
    /// One fault drill, its fault applied by `cargo xtask drill`.
    Drill(drill::cli::Params),
    /// The outbox relay against the broker's ceiling.
    Relay(relay::Params),
    /// What a finished benchmark run left in the stores, removed.
    Clean(clean::Params),
}

/// `--name value` pairs, each taken once.
struct Flags(BTreeMap<String, String>);

impl Flags {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("expected an option like `--name value`, got `{flag}`"))?;
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?;
            if map.insert(name.to_owned(), value.clone()).is_some() {
                return Err(format!("`{flag}` is given twice"));
            }
        }
        Ok(Self(map))
    }

    fn text(&mut self, name: &str) -> Result<String, String> {
        self.0
            .remove(name)
            .ok_or_else(|| format!("`--{name}` is required"))
    }

    fn number<T: FromStr + PartialOrd + Default>(
        &mut self,
        name: &str,
        default: T,
    ) -> Result<T, String> {
        match self.0.remove(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|n| *n > T::default())
                .ok_or_else(|| format!("`--{name}` needs a positive number, not `{raw}`")),
        }
    }

    fn rates(&mut self, name: &str, default: &[f64]) -> Result<Vec<f64>, String> {
        let Some(raw) = self.0.remove(name) else {
            return Ok(default.to_vec());
        };
        let rates: Vec<f64> = raw
            .split(',')
            .map(|r| r.trim().parse::<f64>().ok().filter(|r| *r > 0.0))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                format!("`--{name}` needs positive numbers separated by commas, not `{raw}`")
            })?;
        if rates.is_empty() || rates.windows(2).any(|w| w[1] <= w[0]) {
            return Err(format!("`--{name}` must rise: `{raw}`"));
        }
        Ok(rates)
    }

    /// `direct`, `shop` or both, comma-separated, each once; `direct` when not given.
    fn paths(&mut self, name: &str) -> Result<Vec<orders::Path>, String> {
        let Some(raw) = self.0.remove(name) else {
            return Ok(vec![orders::Path::Direct]);
        };
        let mut paths = Vec::new();
        for word in raw.split(',') {
            let path = orders::Path::parse(word.trim())
                .ok_or_else(|| format!("`--{name}` takes direct and shop, not `{word}`"))?;
            if paths.contains(&path) {
                return Err(format!("`--{name}` names `{word}` twice"));
            }
            paths.push(path);
        }
        Ok(paths)
    }

    fn done(self) -> Result<(), String> {
        match self.0.keys().next() {
            Some(name) => Err(format!("unknown option `--{name}`")),
            None => Ok(()),
        }
    }
}

fn orders_params(flags: &mut Flags) -> Result<orders::Params, String> {
    Ok(orders::Params {
        gateway: flags.text("gateway")?,
        admin_email: flags.text("admin-email")?,
        admin_password: flags.text("admin-password")?,
        run: flags.text("run")?,
        rates: flags.rates("rates", &[2.0, 5.0, 10.0])?,
        stage_secs: flags.number("stage-secs", 10.0)?,
        customers: flags.number("customers", 20)?,
        login_every: flags.number("login-every", 4)?,
        follow_secs: flags.number("follow-secs", 30.0)?,
        max_in_flight: flags.number("max-in-flight", 4000)?,
        paths: flags.paths("paths")?,
        shop_customers: flags.number("shop-customers", 100)?,
        coupon_every: flags.number("coupon-every", 2)?,
    })
}

fn streams_params(flags: &mut Flags) -> Result<streams::Params, String> {
    Ok(streams::Params {
        orders: flags.text("orders")?,
        customers: flags.text("customers")?,
        products: flags.text("products")?,
        admin_email: flags.text("admin-email")?,
        admin_password: flags.text("admin-password")?,
        run: flags.text("run")?,
        n: flags.number("n", 0)?,
        sse: true,
        ws: true,
        pid: match flags.0.remove("pid") {
            None => None,
            Some(raw) => Some(
                raw.parse()
                    .map_err(|_| format!("`--pid` needs a process id, not `{raw}`"))?,
            ),
        },
        reach_secs: flags.number("reach-secs", 10.0)?,
        sources: flags.number("sources", 16)?,
        connect_concurrency: flags.number("connect-concurrency", 200)?,
    })
}

fn drill_params(flags: &mut Flags) -> Result<drill::cli::Params, String> {
    Ok(drill::cli::Params {
        gateway: flags.text("gateway")?,
        admin_email: flags.text("admin-email")?,
        admin_password: flags.text("admin-password")?,
        run: flags.text("run")?,
        kind: match flags.text("kind")?.as_str() {
            kind @ ("broker" | "database" | "service" | "network" | "redis" | "poison"
            | "replica") => kind.to_owned(),
            other => return Err(format!("unknown drill `{other}`")),
        },
        outage_secs: flags.number("outage-secs", 20)?,
        broker_url: flags.0.remove("broker-url"),
        exchange: flags
            .0
            .remove("exchange")
            .unwrap_or_else(|| shared::events::DEFAULT_EXCHANGE.to_owned()),
    })
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((which, rest)) = args.split_first() else {
        return Err("which load? `orders`, `streams`, `drill`, `relay` or `clean`".to_owned());
    };
    let mut flags = Flags::parse(rest)?;
    let mut command = match which.as_str() {
        "orders" => Command::Orders(orders_params(&mut flags)?),
        "streams" => Command::Streams(streams_params(&mut flags)?),
        "relay" => Command::Relay(relay::Params {
            mongodb: flags.text("mongodb")?,
            amqp: flags.text("amqp")?,
            run: flags.text("run")?,
            events: flags.number("events", 20_000)?,
            documents: flags.number("documents", 2_000)?,
        }),
        "clean" => Command::Clean(clean::Params {
            mongodb: flags.text("mongodb")?,
            amqp: flags.text("amqp")?,
            redis: flags.text("redis")?,
            run: flags.text("run")?,
            exchange: flags.text("exchange")?,
            queues: flags.0.remove("queues").map_or_else(Vec::new, |raw| {
                raw.split(',')
                    .filter(|q| !q.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
        }),
        "drill" => Command::Drill(drill_params(&mut flags)?),
        other => {
            return Err(format!(
                "unknown load `{other}`: `orders`, `streams`, `drill`, `relay` or `clean`"
            ));
        }
    };
    if let Command::Streams(p) = &mut command {
        if p.n == 0 {
            return Err("`--n` is required".to_owned());
        }
        if let Some(kinds) = flags.0.remove("kinds") {
            (p.sse, p.ws) = parse_kinds(&kinds)?;
        }
    }
    flags.done()?;
    Ok(command)
}

/// `sse`, `ws` or both, comma-separated: (sse, ws).
fn parse_kinds(raw: &str) -> Result<(bool, bool), String> {
    let (mut sse, mut ws) = (false, false);
    for kind in raw.split(',') {
        match kind.trim() {
            "sse" => sse = true,
            "ws" => ws = true,
            other => return Err(format!("`--kinds` takes sse and ws, not `{other}`")),
        }
    }
    Ok((sse, ws))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn orders_takes_its_urls_and_rising_rates_with_defaults_for_the_rest() {
        let Ok(Command::Orders(p)) = parse(&words(
            "orders --gateway http://127.0.0.1:1/api --admin-email a@b.c --admin-password pw \
             --run r1 --rates 1,2.5,40 --stage-secs 3",
        )) else {
            panic!("orders parses");
        };
        assert_eq!(p.gateway, "http://127.0.0.1:1/api");
        assert_eq!(p.rates, vec![1.0, 2.5, 40.0]);
        assert_eq!(p.stage_secs, 3.0);
        assert_eq!((p.customers, p.login_every, p.max_in_flight), (20, 4, 4000));
        assert_eq!(p.paths, [orders::Path::Direct]);
        assert_eq!((p.shop_customers, p.coupon_every), (100, 2));
    }

    #[test]
    fn orders_measures_the_paths_named_in_their_order() {
        let base = "orders --gateway g --admin-email e --admin-password p --run r";
        let Ok(Command::Orders(p)) = parse(&words(&format!(
            "{base} --paths direct,shop --shop-customers 7 --coupon-every 3"
        ))) else {
            panic!("orders parses");
        };
        assert_eq!(p.paths, [orders::Path::Direct, orders::Path::Shop]);
        assert_eq!((p.shop_customers, p.coupon_every), (7, 3));
        let Ok(Command::Orders(p)) = parse(&words(&format!("{base} --paths shop"))) else {
            panic!("orders parses");
        };
        assert_eq!(p.paths, [orders::Path::Shop]);
        let cart = parse(&words(&format!("{base} --paths direct,cart"))).unwrap_err();
        assert!(cart.contains("cart"), "{cart}");
        let twice = parse(&words(&format!("{base} --paths shop,shop"))).unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
        assert!(parse(&words(&format!("{base} --coupon-every 0"))).is_err());
    }

    #[test]
    fn streams_needs_n_and_takes_a_pid() {
        let base = "streams --orders o --customers c --products p --admin-email e \
                    --admin-password pw --run r";
        let Ok(Command::Streams(p)) = parse(&words(&format!("{base} --n 10000 --pid 42"))) else {
            panic!("streams parses");
        };
        assert_eq!((p.n, p.pid, p.sources), (10_000, Some(42), 16));
        assert!(p.sse && p.ws);
        let Ok(Command::Streams(p)) = parse(&words(&format!("{base} --n 5 --kinds ws"))) else {
            panic!("streams parses");
        };
        assert!(!p.sse && p.ws);
        assert!(parse(&words(&format!("{base} --n 5 --kinds tcp"))).is_err());
        assert!(parse(&words(base)).unwrap_err().contains("--n"));
        assert!(parse(&words(&format!("{base} --n 0"))).is_err());
        assert!(parse(&words(&format!("{base} --n 5 --pid me"))).is_err());
    }

    #[test]
    fn mistakes_are_named() {
        assert!(parse(&[]).is_err());
        assert!(parse(&words("bench")).unwrap_err().contains("unknown load"));
        let orders = "orders --gateway g --admin-email e --admin-password p --run r";
        assert!(
            parse(&words(&format!("{orders} --rates 5,2")))
                .unwrap_err()
                .contains("rise")
        );
        assert!(parse(&words(&format!("{orders} --rates 1,x"))).is_err());
        assert!(
            parse(&words(&format!("{orders} --fast 1")))
                .unwrap_err()
                .contains("--fast")
        );
        assert!(
            parse(&words(&format!("{orders} --run s")))
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse(&words(&format!("{orders} --stage-secs")))
                .unwrap_err()
                .contains("value")
        );
        assert!(
            parse(&words("orders --gateway g"))
                .unwrap_err()
                .contains("--admin-email")
        );
    }

    #[test]
    fn a_drill_names_its_kind_and_the_network_drill_its_broker() {
        let base = "drill --gateway g --admin-email e --admin-password p --run r";
        let Ok(Command::Drill(p)) = parse(&words(&format!(
            "{base} --kind network --broker-url amqp://b:5672/%2f"
        ))) else {
            panic!("a drill command");
        };
        assert_eq!((p.kind.as_str(), p.outage_secs), ("network", 20));
        assert_eq!(p.broker_url.as_deref(), Some("amqp://b:5672/%2f"));
        assert_eq!(p.exchange, "shop.events");
        let Ok(Command::Drill(p)) = parse(&words(&format!("{base} --kind poison --exchange x")))
        else {
            panic!("a poison drill");
        };
        assert_eq!((p.kind.as_str(), p.exchange.as_str()), ("poison", "x"));
        let disk = parse(&words(&format!("{base} --kind disk"))).unwrap_err();
        assert!(disk.contains("disk"), "{disk}");
    }
}
