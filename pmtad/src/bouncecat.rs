//! Bounce categories (`bounceCat`): PowerMTA's `<bounce-category-patterns>`.
//!
//! The one engine for the category of a failure: the accounting `bounceCat` of `b` and `t`
//! records, the DSN's `X-PowerMTA-BounceCategory` and `domain detail`'s recent errors all
//! call [`BounceCategories::classify_reply`] on the same compiled instance of a
//! configuration (held by the daemon's policies), so they cannot disagree. Inbound bounce
//! and feedback processing classifies remote DSN text through the same call.
//!
//! The subject classified is `"<enhanced status>;<reply text>"`, e.g.
//! `5.1.1;user unknown`: the shipped list's code rules are anchored `^X.Y.Z;`, its phrase
//! rules match the text. Rules are tried in order, first match wins; user rules from the
//! config come before the shipped defaults, and a final catch-all gives `other`. All rules
//! are compiled into one `RegexSet`, so classifying is one pass over the subject.

use regex::{RegexSet, RegexSetBuilder};

/// A rule list that does not compile (a regex `config` accepted alone can still make the
/// combined set too large).
#[derive(Debug, thiserror::Error)]
#[error("bad bounce-category pattern: {0}")]
pub struct BadPattern(String);

/// The default rule list: phrase rules first, then status-code rules, as PowerMTA ships it.
const DEFAULTS: &[(&str, &str)] = &[
    (r"spam", "spam-related"),
    (r"junk mail", "spam-related"),
    (r"blacklist", "spam-related"),
    (r"blocked", "spam-related"),
    (r"\bU\.?C\.?E\.?\b", "spam-related"),
    (r"\bAdv(ertisements?)?\b", "spam-related"),
    (r"unsolicited", "spam-related"),
    (r"\b(open)?RBL\b", "spam-related"),
    (r"realtime blackhole", "spam-related"),
    (r"\bvirus\b", "virus-related"),
    (r"message +content", "content-related"),
    (r"content +rejected", "content-related"),
    (r"quota", "quota-issues"),
    (r"limit exceeded", "quota-issues"),
    (r"mailbox +(is +)?full", "quota-issues"),
    (
        r"sender ((verify|verification) failed|could not be verified|address rejected|domain must exist)",
        "invalid-sender",
    ),
    (r"unable to verify sender", "invalid-sender"),
    (r"requires valid sender domain", "invalid-sender"),
    (r"bad sender's system address", "invalid-sender"),
    (r"no MX for envelope sender domain", "invalid-sender"),
    (r"^[45]\.4\.4", "routing-errors"),
    (r"no mail hosts for domain", "invalid-sender"),
    (r"domain of sender address", "invalid-sender"),
    (r"invalid sender domain", "invalid-sender"),
    (r"verification failed", "invalid-sender"),
    (r"\bstorage\b", "quota-issues"),
    (
        r"(user|mailbox|recipient|rcpt|local part|address|account|mail drop|ad(d?)ressee) (has|has been|is)? *(currently|temporarily +)?(disabled|expired|inactive|not activated)",
        "inactive-mailbox",
    ),
    (
        r"too many (bad|invalid|unknown|illegal|unavailable) (user|mailbox|recipient|rcpt|local part|address|account|mail drop|ad(d?)ressee)",
        "other",
    ),
    (
        r"(no such|bad|invalid|unknown|illegal|unavailable) (local +)?(user|mailbox|recipient|rcpt|local part|address|account|mail drop|ad(d?)ressee)",
        "bad-mailbox",
    ),
    (
        r"(user|mailbox|recipient|rcpt|local part|address|account|mail drop|ad(d?)ressee) +(\S+@\S+ +)?(not (a +)?valid|not known|not here|not found|does not exist|bad|invalid|unknown|illegal|unavailable)",
        "bad-mailbox",
    ),
    (
        r"\S+@\S+ +(is +)?(not (a +)?valid|not known|not here|not found|does not exist|bad|invalid|unknown|illegal|unavailable)",
        "bad-mailbox",
    ),
    (r"no mailbox here by that name", "bad-mailbox"),
    (r"no longer (valid|available)", "bad-mailbox"),
    (r"\brelay(ing)?", "relaying-issues"),
    (
        r"domain (retired|bad|invalid|unknown|illegal|unavailable)",
        "bad-domain",
    ),
    (r"domain no longer in use", "bad-domain"),
    (r"domain (\S+ +)?(is +)?obsolete", "bad-domain"),
    (r"denied", "policy-related"),
    (r"prohibit", "policy-related"),
    (r"rejected", "policy-related"),
    (r"refused", "policy-related"),
    (r"allowed", "policy-related"),
    (r"banned", "policy-related"),
    (r"policy", "policy-related"),
    (r"suspicious activity", "policy-related"),
    (r"bad sequence", "protocol-errors"),
    (r"syntax error", "protocol-errors"),
    (r"\broute\b", "routing-errors"),
    (r"\bunroutable\b", "routing-errors"),
    (r"\bunrouteable\b", "routing-errors"),
    (r"^2\.\d+\.\d+;", "success"),
    (r"^[45]\.1\.[1346];", "bad-mailbox"),
    (r"^[45]\.1\.2", "bad-domain"),
    (r"^[45]\.1\.[78];", "invalid-sender"),
    (r"^[45]\.2\.0;", "bad-mailbox"),
    (r"^[45]\.2\.1;", "inactive-mailbox"),
    (r"^[45]\.2\.2;", "quota-issues"),
    (r"^[45]\.3\.3;", "content-related"),
    (r"^[45]\.3\.5;", "bad-configuration"),
    (r"^[45]\.4\.1;", "no-answer-from-host"),
    (r"^[45]\.4\.2;", "bad-connection"),
    (r"^[45]\.4\.[36];", "routing-errors"),
    (r"^[45]\.4\.7;", "message-expired"),
    (r"^[45]\.5\.3;", "policy-related"),
    (r"^[45]\.5\.\d+;", "protocol-errors"),
    (r"^[45]\.6\.\d+;", "content-related"),
    (r"^[45]\.7\.[012];", "policy-related"),
    (r"^[45]\.7\.7;", "content-related"),
];

/// A compiled, ordered rule list.
#[derive(Debug, Clone)]
pub struct BounceCategories {
    set: RegexSet,
    categories: Vec<String>,
    /// The configured rules (before the shipped ones), which identify the list.
    user: Vec<(String, String)>,
}

impl PartialEq for BounceCategories {
    fn eq(&self, other: &Self) -> bool {
        self.user == other.user
    }
}

impl Eq for BounceCategories {}

impl Default for BounceCategories {
    fn default() -> Self {
        Self::shared_default().clone()
    }
}

impl BounceCategories {
    /// Compiles `user` rules (`(regex, category)`, from `<bounce-category-patterns>`) ahead of
    /// the shipped defaults. Matching is case-insensitive, as reply texts vary in case.
    pub fn new(user: &[(String, String)]) -> Result<Self, BadPattern> {
        let rules: Vec<(&str, &str)> = user
            .iter()
            .map(|(r, c)| (r.as_str(), c.as_str()))
            .chain(DEFAULTS.iter().copied())
            .collect();
        let set = RegexSetBuilder::new(rules.iter().map(|(r, _)| *r))
            .case_insensitive(true)
            .build()
            .map_err(|e| BadPattern(e.to_string()))?;
        let categories = rules.iter().map(|(_, c)| c.to_string()).collect();
        Ok(BounceCategories {
            set,
            categories,
            user: user.to_vec(),
        })
    }

    /// The configuration's `<bounce-category-patterns>` ahead of the shipped set.
    pub fn from_config(cfg: &config::Config) -> Result<Self, BadPattern> {
        if cfg.bounce_category_patterns.is_empty() {
            return Ok(Self::default());
        }
        let user: Vec<(String, String)> = cfg
            .bounce_category_patterns
            .iter()
            .map(|r| (r.regex.clone(), r.category.clone()))
            .collect();
        Self::new(&user)
    }

    /// The shipped rules compiled once per process (compiling the set takes milliseconds;
    /// use this wherever no `<bounce-category-patterns>` are configured).
    pub fn shared_default() -> &'static BounceCategories {
        static SHARED: std::sync::OnceLock<BounceCategories> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            BounceCategories::new(&[]).expect("the shipped bounce-category patterns compile")
        })
    }

    /// The category of a reply, classifying `"<enhanced status>;<text>"` exactly as the
    /// accounting `bounceCat` column does.
    pub fn classify_reply(&self, reply: &crate::outcome::Reply) -> &str {
        let mut subject = String::with_capacity(8 + reply.text.len());
        crate::enhanced_status::enhanced_code(reply, &mut subject);
        subject.push(';');
        subject.push_str(&reply.text);
        self.classify(&subject)
    }

    /// The category of `"<status>;<text>"`; `other` when nothing matches.
    pub fn classify(&self, subject: &str) -> &str {
        self.set
            .matches(subject)
            .iter()
            .next()
            .map_or("other", |i| &self.categories[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_classify_common_replies() {
        let b = BounceCategories::default();
        assert_eq!(b.classify("5.1.1;user unknown"), "bad-mailbox");
        assert_eq!(b.classify("5.0.0;No such user here"), "bad-mailbox");
        assert_eq!(b.classify("5.7.1;Message rejected as SPAM"), "spam-related");
        assert_eq!(b.classify("4.2.2;over quota"), "quota-issues");
        assert_eq!(b.classify("4.4.7;message expired"), "message-expired");
        assert_eq!(
            b.classify("4.4.1;connection timed out"),
            "no-answer-from-host"
        );
        assert_eq!(b.classify("4.0.0;try later"), "other");
        assert_eq!(b.classify("2.0.0;ok"), "success");
        let bare_553 = crate::outcome::Reply {
            code: 553,
            enhanced: None,
            text: "sorry".into(),
        };
        assert_eq!(
            BounceCategories::shared_default().classify_reply(&bare_553),
            "bad-mailbox"
        );
    }

    #[test]
    fn user_rules_come_first_and_bad_ones_fail() {
        let b = BounceCategories::new(&[("user unknown".into(), "custom".into())]).unwrap();
        assert_eq!(b.classify("5.1.1;user unknown"), "custom");
        assert!(BounceCategories::new(&[("(".into(), "x".into())]).is_err());
    }
}
