use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn percentiles_take_the_nearest_rank() {
    let sorted: Vec<Duration> = (1..=100).map(ms).collect();
    assert_eq!(percentile(&sorted, 50.0), ms(50));
    assert_eq!(percentile(&sorted, 95.0), ms(95));
    assert_eq!(percentile(&sorted, 99.0), ms(99));
    assert_eq!(percentile(&sorted, 100.0), ms(100));
    assert_eq!(percentile(&sorted, 0.1), ms(1));
    let few = [ms(1), ms(2), ms(3)];
    assert_eq!(percentile(&few, 50.0), ms(2));
    assert_eq!(percentile(&few, 95.0), ms(3));
    assert_eq!(percentile(&[ms(7)], 99.0), ms(7));
    assert_eq!(percentile(&[], 50.0), Duration::ZERO);
}

#[test]
fn figures_count_errors_intents_and_the_rate() {
    let sample = |n, outcome: Result<&str, &str>| Sample {
        elapsed: ms(n),
        outcome: outcome.map(str::to_owned).map_err(str::to_owned),
    };
    let samples: Vec<Sample> = (1..=19)
        .map(|n| sample(n, Ok("chitchat")))
        .chain([sample(40, Err("503"))])
        .collect();
    let f = Figures::from_samples(&samples, Duration::from_secs(2));
    assert_eq!((f.requests, f.errors), (20, 1));
    assert_eq!(f.per_sec, 10.0);
    assert_eq!((f.p50, f.p95, f.max), (ms(10), ms(19), ms(40)));
    assert!(f.met());
    assert_eq!(f.intents.get("chitchat"), Some(&(19, ms(19))));
    assert_eq!(f.first_error.as_deref(), Some("503"));
}

#[test]
fn the_schedule_has_the_asked_count_and_valid_requests() {
    for thread in 0..THREADS {
        let turns = schedule("abc123", thread, REQUESTS / THREADS);
        assert_eq!(turns.len(), REQUESTS / THREADS);
        for turn in &turns {
            assert!((1..=2000).contains(&turn.message.chars().count()));
            assert!((8..=64).contains(&turn.session.len()), "{}", turn.session);
            assert!(
                turn.session
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
        }
    }
    assert_eq!(schedule("r", 0, 3).len(), 3);
    let run = stack::run_id();
    assert!(run.len() <= 24 && run.chars().all(|c| c.is_ascii_hexdigit()));
    let longest = schedule(&format!("{run}w"), THREADS, REQUESTS);
    assert!(longest.iter().all(|t| t.session.len() <= 64));
}

#[test]
fn the_mix_is_mostly_policy_with_chitchat_off_topic_complaints_and_follow_ups() {
    let turns: Vec<Turn> = (0..THREADS)
        .flat_map(|t| schedule("run", t, REQUESTS / THREADS))
        .collect();
    let mut kinds = BTreeMap::new();
    for turn in &turns {
        *kinds.entry(turn.kind).or_insert(0usize) += 1;
    }
    let share = |kind| kinds.get(&kind).copied().unwrap_or(0) as f64 / turns.len() as f64;
    assert!(share(Kind::Policy) > 0.4, "{kinds:?}");
    assert!(share(Kind::Chitchat) > 0.15, "{kinds:?}");
    assert!(share(Kind::OffTopic) > 0.08, "{kinds:?}");
    assert!((0.02..0.1).contains(&share(Kind::Complaint)), "{kinds:?}");
    // Follow-ups: most sessions carry more than one message, and sessions never repeat
    // across threads.
    let mut sessions: BTreeMap<&str, usize> = BTreeMap::new();
    for turn in &turns {
        *sessions.entry(turn.session.as_str()).or_insert(0) += 1;
    }
    let multi = sessions.values().filter(|n| **n > 1).count();
    assert!(
        multi * 10 >= sessions.len() * 9,
        "{multi} of {}",
        sessions.len()
    );
    assert!(sessions.values().all(|n| *n <= 4));
    // Threads start at different conversations.
    assert_ne!(
        schedule("run", 0, 1)[0].message,
        schedule("run", 1, 1)[0].message
    );
    // No message names an order or a product to look up.
    for (_, message) in CONVERSATIONS.iter().flat_map(|c| c.iter()) {
        assert!(!message.to_ascii_lowercase().contains("ord-"), "{message}");
    }
}
