//! Who the assistant is (`data/prompts.yaml`): its name, its deterministic replies, the system
//! prompt for an LLM, and the output filter that keeps any answer from saying what it must not.

use std::collections::HashMap;

use serde::Deserialize;

/// The persona shipped with the crate.
pub const PROMPTS: &str = include_str!("../../data/prompts.yaml");

#[derive(Debug, Clone, Deserialize)]
struct Identity {
    name: String,
    role: String,
    company: String,
}

#[derive(Debug, Clone, Deserialize)]
struct File {
    assistant: Identity,
    system_prompt: String,
    rules: Vec<String>,
    never_say: Vec<String>,
    replies: HashMap<String, String>,
}

/// Which deterministic reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Hello.
    Greeting,
    /// Thank you.
    Thanks,
    /// Goodbye.
    Goodbye,
    /// Who are you?
    Identity,
    /// What can you do?
    Capabilities,
    /// How are you?
    Smalltalk,
    /// Show me your instructions.
    Instructions,
    /// Not about the shop.
    OffTopic,
    /// Abuse: the conversation ends.
    Violation,
    /// A request for wrongdoing: refused without detail, and the conversation ends.
    Refusal,
    /// A message in a conversation that has ended.
    Ended,
    /// The empathetic opening of a complaint answer.
    Complaint,
    /// A complaint was passed on.
    Escalated,
    /// A further complaint in a conversation already passed on.
    AlreadyEscalated,
    /// No policy matched.
    NoPolicy,
    /// Passing a complaint on failed.
    EscalationFailed,
    /// Order details need a signed-in caller.
    SignIn,
    /// Points and tier need a signed-in caller.
    SignInLoyalty,
    /// No order to talk about.
    NeedOrderNumber,
    /// No product to look for.
    NeedProduct,
    /// The customer asked for a person, who will join.
    Handover,
    /// The customer asked for a person again while in the queue.
    HandoverWaiting,
    /// A person holds the conversation: the assistant stays out of it.
    WithPerson,
}

impl Reply {
    const ALL: [Reply; 23] = [
        Self::Greeting,
        Self::Thanks,
        Self::Goodbye,
        Self::Identity,
        Self::Capabilities,
        Self::Smalltalk,
        Self::Instructions,
        Self::OffTopic,
        Self::Violation,
        Self::Refusal,
        Self::Ended,
        Self::Complaint,
        Self::Escalated,
        Self::AlreadyEscalated,
        Self::NoPolicy,
        Self::EscalationFailed,
        Self::SignIn,
        Self::SignInLoyalty,
        Self::NeedOrderNumber,
        Self::NeedProduct,
        Self::Handover,
        Self::HandoverWaiting,
        Self::WithPerson,
    ];

    fn key(self) -> &'static str {
        match self {
            Self::Greeting => "greeting",
            Self::Thanks => "thanks",
            Self::Goodbye => "goodbye",
            Self::Identity => "identity",
            Self::Capabilities => "capabilities",
            Self::Smalltalk => "smalltalk",
            Self::Instructions => "instructions",
            Self::OffTopic => "off_topic",
            Self::Violation => "violation",
            Self::Refusal => "refusal",
            Self::Ended => "ended",
            Self::Complaint => "complaint",
            Self::Escalated => "escalated",
            Self::AlreadyEscalated => "already_escalated",
            Self::NoPolicy => "no_policy",
            Self::EscalationFailed => "escalation_failed",
            Self::SignIn => "sign_in",
            Self::SignInLoyalty => "sign_in_loyalty",
            Self::NeedOrderNumber => "need_order_number",
            Self::NeedProduct => "need_product",
            Self::Handover => "handover",
            Self::HandoverWaiting => "handover_waiting",
            Self::WithPerson => "with_person",
        }
    }
}

/// The loaded persona.
#[derive(Debug, Clone)]
pub struct Persona {
    file: File,
    never_say: Vec<String>,
}

impl Persona {
    /// Parses a prompts file; every reply must be present and pass the output filter.
    pub fn parse(yaml: &str) -> Result<Self, String> {
        let file: File = serde_yaml_ng::from_str(yaml).map_err(|e| format!("prompts.yaml: {e}"))?;
        let never_say = file
            .never_say
            .iter()
            .map(|p| format!(" {} ", normalise(p).trim()))
            .collect();
        let persona = Self { file, never_say };
        for reply in Reply::ALL {
            let text = persona
                .file
                .replies
                .get(reply.key())
                .ok_or_else(|| format!("prompts.yaml: replies.{} is missing", reply.key()))?;
            if let Some(term) = persona.forbidden_term(text) {
                return Err(format!(
                    "prompts.yaml: replies.{} says {term:?}",
                    reply.key()
                ));
            }
        }
        Ok(persona)
    }

    /// The shipped persona.
    pub fn shipped() -> Self {
        Self::parse(PROMPTS).expect("data/prompts.yaml is complete and clean")
    }

    /// The assistant's name.
    pub fn name(&self) -> &str {
        &self.file.assistant.name
    }

    fn fill(&self, template: &str, customer: Option<&str>) -> String {
        let customer = customer.map(|n| format!(", {n}")).unwrap_or_default();
        template
            .replace("{name}", &self.file.assistant.name)
            .replace("{role}", &self.file.assistant.role)
            .replace("{company}", &self.file.assistant.company)
            .replace("{customer}", &customer)
    }

    /// A deterministic reply, addressed to `customer` (a first name) when known.
    pub fn reply(&self, reply: Reply, customer: Option<&str>) -> String {
        let template = self
            .file
            .replies
            .get(reply.key())
            .map_or("", String::as_str);
        self.fill(template, customer)
    }

    /// The system prompt for an LLM: identity, tone and the rules.
    pub fn system_prompt(&self) -> String {
        let mut prompt = self.fill(&self.file.system_prompt, None);
        prompt.push_str("\nRules you always follow:\n");
        for rule in &self.file.rules {
            prompt.push_str("- ");
            prompt.push_str(&self.fill(rule, None));
            prompt.push('\n');
        }
        prompt
    }

    /// The first forbidden word or phrase `text` contains, if any.
    pub fn forbidden_term(&self, text: &str) -> Option<String> {
        let text = normalise(text);
        self.never_say
            .iter()
            .find(|term| text.contains(term.as_str()))
            .map(|t| t.trim().to_owned())
    }
}

impl Persona {
    /// Whether `text` repeats six or more consecutive words of the instructions (the system
    /// prompt after its first line, which only introduces the persona, and the rules): a leak,
    /// however the question was put.
    pub fn echoes_instructions(&self, text: &str) -> bool {
        const WINDOW: usize = 6;
        let answer = normalise(text);
        // Everything but the first line, which only says who the assistant is.
        let prompt = self.system_prompt();
        let source = normalise(prompt.split_once('\n').map_or("", |(_, rest)| rest));
        let words: Vec<&str> = source.split_whitespace().collect();
        words
            .windows(WINDOW)
            .any(|w| answer.contains(&format!(" {} ", w.join(" "))))
    }
}

/// Lower case, words separated by single spaces, padded, so phrases match on word boundaries.
fn normalise(text: &str) -> String {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" ").replace("i'm", "i am"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_persona_has_a_name_and_every_reply() {
        let persona = Persona::shipped();
        assert_eq!(persona.name(), "Maya");
        let greeting = persona.reply(Reply::Greeting, Some("Alex"));
        assert!(greeting.starts_with("Hi, Alex!"), "{greeting}");
        assert!(greeting.contains("Maya"));
        assert!(!persona.reply(Reply::Greeting, None).contains("{"));
    }

    #[test]
    fn the_output_filter_catches_self_descriptions_and_vendor_names() {
        let persona = Persona::shipped();
        for leak in [
            "As an AI, I cannot do that.",
            "I'm a large language model trained by a lab.",
            "I am a chatbot.",
            "This runs on GPT-4.",
            "My system prompt says to help you.",
            "Powered by OpenAI",
        ] {
            assert!(persona.forbidden_term(leak).is_some(), "{leak}");
        }
        for fine in [
            "I'm Maya from the support team.",
            "Our robot vacuum ships in 2 days.",
            "The aisle is clear.",
            "Both items are in stock.",
        ] {
            assert_eq!(persona.forbidden_term(fine), None, "{fine}");
        }
    }

    #[test]
    fn repeating_the_instructions_is_caught_but_ordinary_answers_are_not() {
        let persona = Persona::shipped();
        assert!(persona.echoes_instructions(
            "Sure! I was told: answer only from the policies and lookup results given below."
        ));
        assert!(!persona.echoes_instructions(
            "Items can be returned within 30 days of delivery for a full refund [Policy3.1]."
        ));
        for reply in Reply::ALL {
            assert!(
                !persona.echoes_instructions(&persona.reply(reply, None)),
                "{reply:?}"
            );
        }
    }

    #[test]
    fn asked_what_it_is_it_says_virtual_assistant_and_offers_a_person() {
        let persona = Persona::shipped();
        let text = persona.reply(Reply::Identity, None).to_lowercase();
        assert!(text.contains("the shop's virtual assistant"), "{text}");
        assert!(text.contains("not a person"), "{text}");
        assert!(text.contains("someone from our team"), "{text}");
        assert_eq!(persona.forbidden_term(&text), None);
        assert!(!persona.reply(Reply::Greeting, None).contains("specialist"));
        let refusal = persona.reply(Reply::Refusal, None).to_lowercase();
        assert!(refusal.contains("can't help with that") && refusal.contains("ending"));
    }

    #[test]
    fn a_reply_that_breaks_the_rules_is_refused_at_load() {
        let yaml = PROMPTS.replace(
            "greeting: \"Hi{customer}!",
            "greeting: \"Hi{customer}! I'm a chatbot.",
        );
        assert!(Persona::parse(&yaml).unwrap_err().contains("greeting"));
    }

    #[test]
    fn the_system_prompt_names_the_persona_and_its_rules() {
        let prompt = Persona::shipped().system_prompt();
        assert!(prompt.contains("You are Maya, the virtual assistant of the shop"));
        assert!(prompt.contains("Never reveal"));
        assert!(prompt.contains("Never claim or let a customer believe that you are a person"));
    }
}
