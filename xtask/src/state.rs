//! `.local/run/xtask.state`: which infrastructure `xtask` started, so `down` stops that and
//! never a server that was running before.

use std::{collections::BTreeSet, path::Path};

use anyhow::{Context as _, Result};

use crate::infra::Infra;

const HEADER: &str = "# Infrastructure started by `cargo xtask`; `cargo xtask down` stops it.";

/// The recorded facts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct State {
    started: BTreeSet<Infra>,
}

impl State {
    /// Reads the file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).with_context(|| format!("in {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes the file (through a temporary file, so a crash never leaves half of it).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, self.render())
            .and_then(|()| std::fs::rename(&temporary, path))
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The file's text: a comment, then `started <name>` per line.
    pub fn render(&self) -> String {
        let mut text = format!("{HEADER}\n");
        for infra in &self.started {
            text.push_str(&format!("started {}\n", infra.name()));
        }
        text
    }

    /// Reads [`State::render`]'s format; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Self> {
        let mut state = Self::default();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let name = line
                .strip_prefix("started ")
                .with_context(|| format!("unexpected line {line:?}"))?;
            let infra = Infra::from_name(name.trim())
                .with_context(|| format!("unknown infrastructure {name:?}"))?;
            state.started.insert(infra);
        }
        Ok(state)
    }

    /// Whether `xtask` started `infra`.
    pub fn started(&self, infra: Infra) -> bool {
        self.started.contains(&infra)
    }

    /// Records that `xtask` started `infra`.
    pub fn mark_started(&mut self, infra: Infra) {
        self.started.insert(infra);
    }

    /// Forgets `infra` (stopped, or found gone).
    pub fn forget(&mut self, infra: Infra) {
        self.started.remove(&infra);
    }

    /// Everything `xtask` started.
    pub fn all_started(&self) -> impl Iterator<Item = Infra> + '_ {
        self.started.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_through_its_text() {
        let mut state = State::default();
        state.mark_started(Infra::Mongodb);
        state.mark_started(Infra::Redis);
        let text = state.render();
        assert_eq!(text, format!("{HEADER}\nstarted redis\nstarted mongodb\n"));
        assert_eq!(State::parse(&text).expect("parses"), state);
    }

    #[test]
    fn the_state_round_trips_through_a_file_and_a_missing_file_is_empty() {
        let dir = std::env::temp_dir().join(format!("xtask-state-{}", std::process::id()));
        let path = dir.join("run").join("xtask.state");
        assert_eq!(
            State::load(&path).expect("missing is fine"),
            State::default()
        );
        let mut state = State::default();
        state.mark_started(Infra::Rabbitmq);
        state.save(&path).expect("saves");
        let loaded = State::load(&path).expect("loads");
        assert!(loaded.started(Infra::Rabbitmq) && !loaded.started(Infra::Redis));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn unknown_lines_are_errors_and_forgetting_removes() {
        assert!(State::parse("started postgres\n").is_err());
        assert!(State::parse("redis\n").is_err());
        let mut state = State::parse("\n# note\nstarted redis\n").expect("parses");
        state.forget(Infra::Redis);
        assert_eq!(state.all_started().count(), 0);
    }
}
