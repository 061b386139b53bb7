//! The deterministic answer of each intent. Functions are called here, chosen by the intent
//! and the session's context; their results are kept for the LLM's prompt.

use serde_json::{Value, json};

use super::{Engine, Observer, Turn, catalog, loyalty, phrasing, record, result_json, tool_call};
use crate::{
    domain::{Classification, Intent, citations::cite, persona::Reply, rules::Rule, text},
    functions::{CallContext, FunctionError, shop},
    session::{ProductRef, Session},
    support::{self, Enqueued},
};

/// An answer before the LLM and the checks.
#[derive(Debug, Clone, Default)]
pub(super) struct Draft {
    /// The text, citations included.
    pub text: String,
    /// Functions called, in order.
    pub functions: Vec<String>,
    /// Each function's result (or error) as JSON, for the prompt.
    pub results: Vec<(String, Value)>,
    /// The session ends with this answer.
    pub end_session: bool,
}

impl Draft {
    fn say(text: String) -> Self {
        Self {
            text,
            ..Self::default()
        }
    }
}

/// The answer to `turn`, whose intent is `class`.
pub(super) async fn compose(
    engine: &Engine,
    session: &mut Session,
    class: &Classification,
    turn: &Turn,
    meaning: Option<&[f32]>,
    observer: &Observer,
) -> Draft {
    let persona = &engine.persona;
    let name = session.first_name().map(str::to_owned);
    let name = name.as_deref();
    match class.intent {
        Intent::PolicyQuestion => {
            let mut draft = policy(engine, &turn.message, meaning, name);
            if super::returns::about_returning(&turn.message) {
                super::returns::add(engine, &mut draft, turn, observer).await;
            }
            draft
        }
        Intent::OrderStatus if class.rule == Some(Rule::LoyaltyAccount) => {
            loyalty::answer(engine, session, turn, observer).await
        }
        Intent::OrderStatus => orders(engine, session, turn, observer).await,
        Intent::ProductSearch => products(engine, session, turn, observer).await,
        Intent::Complaint
            if matches!(class.rule, Some(Rule::HumanRequest | Rule::AcceptedPerson)) =>
        {
            handover(engine, session, turn).await
        }
        Intent::Complaint => complaint(engine, session, turn, meaning).await,
        Intent::Chitchat => {
            let reply = chitchat(class, &turn.message);
            // The identity answer offers a person: a "yes" next takes it.
            session.offered_person = reply == Reply::Identity;
            Draft::say(persona.reply(reply, name))
        }
        Intent::OffTopic => {
            let reply = if class.rule == Some(Rule::Injection) {
                Reply::Instructions
            } else {
                Reply::OffTopic
            };
            Draft::say(persona.reply(reply, name))
        }
        Intent::Violation => {
            let reply = match class.wrongdoing {
                // Refused without a word on how it might be done.
                Some(kind) => {
                    metrics::counter!("assistant_wrongdoing_refused_total", "kind" => kind.as_str())
                        .increment(1);
                    if kind.raises_alert() {
                        record::security_incident(engine, session, turn, kind).await;
                    }
                    Reply::Refusal
                }
                None => Reply::Violation,
            };
            Draft {
                end_session: true,
                ..Draft::say(persona.reply(reply, None))
            }
        }
    }
}

fn chitchat(class: &Classification, message: &str) -> Reply {
    if class.rule == Some(Rule::IdentityProbe) {
        return Reply::Identity;
    }
    let words: Vec<String> = text::words(&message.to_lowercase());
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let lower = message.to_lowercase();
    if has(&[
        "thanks",
        "thank",
        "thx",
        "cheers",
        "appreciate",
        "helpful",
        "awesome",
        "perfect",
        "great",
    ]) {
        Reply::Thanks
    } else if has(&["bye", "goodbye", "later", "night"]) || lower.contains("see you") {
        Reply::Goodbye
    } else if has(&["who", "name"]) {
        Reply::Identity
    } else if lower.contains("what can you")
        || lower.contains("what do you do")
        || lower.contains("help me")
    {
        Reply::Capabilities
    } else if has(&["how", "going", "doing"]) {
        Reply::Smalltalk
    } else {
        Reply::Greeting
    }
}

/// The policies that answer `question`, quoted with their citations.
fn policy(engine: &Engine, question: &str, meaning: Option<&[f32]>, name: Option<&str>) -> Draft {
    let hits = engine.knowledge.search_with(question, meaning, 2);
    let Some(best) = hits.first() else {
        return Draft::say(engine.persona.reply(Reply::NoPolicy, name));
    };
    let mut text = format!("{} {}", best.policy.text, cite(&best.policy.id));
    if let Some(next) = hits.get(1).filter(|h| h.score >= best.score * 0.6) {
        text.push_str(&format!(
            " Also worth knowing: {} {}",
            lowercase_first(&next.policy.text),
            cite(&next.policy.id)
        ));
    }
    text.push_str(" Is there anything else I can help you with?");
    Draft::say(text)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.clone().next()) {
        // Keep "I" and acronyms ("PCI") as they are.
        (Some(first), Some(second)) if !second.is_uppercase() && first != 'I' => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => s.to_owned(),
    }
}

/// Calls `name` for the caller of `turn`, reporting it to `observer` and keeping its result.
pub(super) async fn call(
    engine: &Engine,
    draft: &mut Draft,
    observer: &Observer,
    turn: &Turn,
    name: &str,
    args: Value,
) -> Result<Value, FunctionError> {
    let ctx = CallContext {
        bearer: turn.bearer.clone(),
        customer_id: turn.caller.as_ref().map(|c| c.id.clone()),
        request_id: turn.request_id.clone(),
    };
    let result = engine.functions.execute(name, args.clone(), &ctx).await;
    tool_call(observer, name, &args, &result);
    draft.functions.push(name.to_owned());
    draft.results.push((name.to_owned(), result_json(&result)));
    result
}

/// Which order: one named in the message, the one talked about last, or the customer's latest.
async fn orders(engine: &Engine, session: &mut Session, turn: &Turn, observer: &Observer) -> Draft {
    let persona = &engine.persona;
    let mut draft = Draft::default();
    if turn.caller.is_none() {
        draft.text = persona.reply(Reply::SignIn, None);
        return draft;
    }
    let lower = turn.message.to_lowercase();
    let wants_list = ["orders", "history", "placed", "purchases"]
        .iter()
        .any(|w| lower.contains(w));
    let named = text::order_ids(&turn.message).into_iter().next();
    let email = text::email(&turn.message).or_else(|| {
        wants_list
            .then(|| session.customer.as_ref().and_then(|c| c.email.clone()))
            .flatten()
    });
    if named.is_none()
        && let Some(email) = email
    {
        let result = call(
            engine,
            &mut draft,
            observer,
            turn,
            shop::GET_CUSTOMER_ORDERS,
            json!({ "email": email }),
        )
        .await;
        if let Ok(found) = &result
            && let Some(latest) = found["orders"][0]["orderId"].as_str()
        {
            session.last_order_id = Some(latest.to_owned());
        }
        draft.text = phrasing::customer_orders(&result, &email);
        return draft;
    }
    let mut order_id = named.or_else(|| session.last_order_id.clone());
    if order_id.is_none()
        && let Some(caller) = &turn.caller
    {
        order_id = engine
            .sessions
            .latest_order(&caller.id)
            .await
            .ok()
            .flatten();
    }
    let Some(order_id) = order_id else {
        draft.text = persona.reply(Reply::NeedOrderNumber, session.first_name());
        return draft;
    };
    let result = call(
        engine,
        &mut draft,
        observer,
        turn,
        shop::GET_ORDER_STATUS,
        json!({ "orderId": order_id }),
    )
    .await;
    if result.is_ok() {
        session.last_order_id = Some(order_id.clone());
    }
    draft.text = phrasing::order_status(&result, &order_id, &turn.message);
    draft
}

async fn products(
    engine: &Engine,
    session: &mut Session,
    turn: &Turn,
    observer: &Observer,
) -> Draft {
    let mut draft = Draft::default();
    let query = catalog::product_query(&turn.message);
    let (query, follow_up) = match (query, &session.last_product) {
        (Some(q), _) => (q, false),
        (None, Some(last)) => (last.name.clone(), true),
        (None, None) => {
            draft.text = engine
                .persona
                .reply(Reply::NeedProduct, session.first_name());
            return draft;
        }
    };
    let limit = if follow_up { 1 } else { 5 };
    let result = call(
        engine,
        &mut draft,
        observer,
        turn,
        shop::SEARCH_PRODUCTS,
        json!({ "query": query, "limit": limit }),
    )
    .await;
    if let Ok(found) = &result
        && let (Some(id), Some(name)) = (
            found["products"][0]["id"].as_str(),
            found["products"][0]["name"].as_str(),
        )
    {
        session.last_product = Some(ProductRef {
            id: id.to_owned(),
            name: name.to_owned(),
        });
    }
    draft.text = if follow_up {
        catalog::one_product(&result, &query)
    } else {
        catalog::product_list(&result, &query)
    };
    draft
}

async fn complaint(
    engine: &Engine,
    session: &mut Session,
    turn: &Turn,
    meaning: Option<&[f32]>,
) -> Draft {
    let persona = &engine.persona;
    let name = session.first_name().map(str::to_owned);
    let mut text = persona.reply(Reply::Complaint, name.as_deref());
    let escalation = if session.escalated {
        Reply::AlreadyEscalated
    } else {
        // The escalation and the queue entry are written side by side: neither needs the
        // other, and a complaint's answer waits for both.
        let (escalated, queued) = tokio::join!(
            record::escalate(engine, session, turn),
            engine
                .support
                .enqueue(session, &turn.message, support::REASON_COMPLAINT),
        );
        match &queued {
            Ok(_) => session.queued = true,
            Err(e) => {
                tracing::warn!(error = %e, "an escalated conversation could not enter the support queue");
            }
        }
        // In the queue, the team has it even if its announcement was lost.
        if escalated || queued.is_ok() {
            session.escalated = true;
            Reply::Escalated
        } else {
            Reply::EscalationFailed
        }
    };
    text.push(' ');
    text.push_str(&persona.reply(escalation, None));
    if escalation != Reply::EscalationFailed
        && let Some(policy) = engine.knowledge.get("Policy7.1")
    {
        text.push_str(&format!(" {}", cite(&policy.id)));
    }
    let hits = engine.knowledge.search_with(&turn.message, meaning, 1);
    // Only a policy that clearly applies: many words in common, or very close in meaning.
    if let Some(hit) = hits
        .first()
        .filter(|h| (h.keyword >= 4.0 || h.similarity >= 0.6) && h.policy.id != "Policy7.1")
    {
        text.push_str(&format!(
            " In the meantime, here's what our policy says: {} {}",
            hit.policy.text,
            cite(&hit.policy.id)
        ));
    }
    Draft::say(text)
}

/// "Can I talk to a person?": the conversation enters the support queue (once while it
/// waits) and is escalated like a complaint, so the team is alerted.
async fn handover(engine: &Engine, session: &mut Session, turn: &Turn) -> Draft {
    let persona = &engine.persona;
    let name = session.first_name().map(str::to_owned);
    let reply = match engine
        .support
        .enqueue(session, &turn.message, support::REASON_ASKED)
        .await
    {
        Ok(Enqueued::Already(_)) => {
            session.queued = true;
            Reply::HandoverWaiting
        }
        Ok(Enqueued::Queued) => {
            session.queued = true;
            if !record::escalate(engine, session, turn).await {
                tracing::warn!("a request for a person is queued but not announced");
            }
            session.escalated = true;
            Reply::Handover
        }
        Err(e) => {
            tracing::warn!(error = %e, "a request for a person could not be queued");
            Reply::EscalationFailed
        }
    };
    let mut text = persona.reply(reply, name.as_deref());
    if reply != Reply::EscalationFailed
        && let Some(policy) = engine.knowledge.get("Policy7.1")
    {
        text.push_str(&format!(" {}", cite(&policy.id)));
    }
    Draft::say(text)
}
