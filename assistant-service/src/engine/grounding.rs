//! The LLM path: a grounded prompt (identity, retrieved policies, function results, the
//! conversation) and the checks its draft must pass before it replaces the composed answer:
//! nothing the persona must never say, no repetition of its instructions, and, for a policy
//! question, at least one citation of a
//! real policy. Invalid citations are removed later, like any answer's.

use super::{Engine, Turn, answer::Draft};
use crate::{
    domain::{Classification, Intent, citations},
    llm::{Llm, Prompt},
    session::Session,
};

/// Intents whose answers the LLM may phrase. Chitchat, off-topic and violations keep their
/// fixed replies; a complaint keeps its escalation wording, which must not be lost.
pub(super) fn wanted(intent: Intent) -> bool {
    matches!(
        intent,
        Intent::PolicyQuestion | Intent::OrderStatus | Intent::ProductSearch
    )
}

/// The prompt for `turn`.
pub(super) async fn prompt(
    engine: &Engine,
    session: &Session,
    turn: &Turn,
    draft: &Draft,
) -> Prompt {
    let mut system = engine.persona.system_prompt();
    let hits = engine.knowledge.search(&turn.message, 3);
    system.push_str("\nPolicies (cite by id):\n");
    if hits.is_empty() {
        system.push_str("(none match this question)\n");
    }
    for hit in &hits {
        let p = hit.policy;
        system.push_str(&format!("[{}] {}: {}\n", p.id, p.title, p.text));
    }
    if !draft.results.is_empty() {
        system.push_str("\nLookup results (JSON):\n");
        for (name, result) in &draft.results {
            system.push_str(&format!("{name}: {result}\n"));
        }
    }
    if let Some(name) = session.first_name() {
        system.push_str(&format!("\nThe customer's name is {name}.\n"));
    }
    system.push_str(&format!(
        "\nA correct answer, for reference:\n{}\n",
        draft.text
    ));
    let history = engine
        .sessions
        .history(&session.id)
        .await
        .unwrap_or_default();
    let mut messages: Vec<(String, String)> = history
        .iter()
        .rev()
        .take(6)
        .rev()
        .map(|e| (e.role.clone(), e.text.clone()))
        .collect();
    messages.push(("user".to_owned(), turn.message.clone()));
    Prompt { system, messages }
}

/// The LLM's answer when it passes the checks, else the composed one; and whether the LLM's
/// was used.
pub(super) async fn phrase(
    engine: &Engine,
    llm: &Llm,
    session: &Session,
    turn: &Turn,
    class: &Classification,
    draft: &Draft,
) -> (String, bool) {
    let prompt = prompt(engine, session, turn, draft).await;
    let text = match llm.complete(&prompt).await {
        Ok(text) => text,
        Err(e) => {
            tracing::warn!(error = %e, "no answer from the LLM; using the composed one");
            return (draft.text.clone(), false);
        }
    };
    if let Some(term) = engine.persona.forbidden_term(&text) {
        tracing::warn!(%term, "the LLM's answer broke the persona rules; using the composed one");
        metrics::counter!("assistant_llm_rejected_total", "reason" => "identity").increment(1);
        return (draft.text.clone(), false);
    }
    if engine.persona.echoes_instructions(&text) {
        tracing::warn!("the LLM's answer repeats its instructions; using the composed one");
        metrics::counter!("assistant_llm_rejected_total", "reason" => "instructions").increment(1);
        return (draft.text.clone(), false);
    }
    if class.intent == Intent::PolicyQuestion
        && !citations::check(&draft.text, &engine.knowledge)
            .citations
            .is_empty()
        && citations::check(&text, &engine.knowledge)
            .citations
            .is_empty()
    {
        tracing::warn!("the LLM's policy answer cites no policy; using the composed one");
        metrics::counter!("assistant_llm_rejected_total", "reason" => "ungrounded").increment(1);
        return (draft.text.clone(), false);
    }
    (text, true)
}
