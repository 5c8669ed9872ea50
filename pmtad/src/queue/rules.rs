//! The operator's standing orders on queues: `pause queue`, `resume queue` and
//! `set queue --mode`, kept as the patterns the operator typed.
//!
//! A pause is a safety control: `pause queue 'gmail.com/*'` must hold `gmail.com/vmta1`
//! even when that queue is only created later, by mail arriving after the pause, or after a
//! restart. So the pattern itself is the state, not the queues it matched at the time. A
//! queue's pause (and operator mode) is decided by the *last* rule whose pattern matches it,
//! so a narrower `resume queue gmail.com/vmta1` after a broad pause exempts just that queue.
//!
//! Recording a rule first drops the earlier rules of the same kind that its pattern covers
//! (they can no longer decide anything), so the list stays as short as the operator's intent.

use proto::QueuePattern;

use crate::sched::Mode;

/// What a rule orders for the queues its pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    Pause,
    Resume,
    Backoff,
    Normal,
}

impl RuleAction {
    /// The word used in the pause file and in `show paused`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Backoff => "backoff",
            Self::Normal => "normal",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Pause, Self::Resume, Self::Backoff, Self::Normal]
            .into_iter()
            .find(|a| a.as_str() == word)
    }

    /// Pause/resume rules and mode rules are two independent lists.
    pub fn is_pausing(self) -> bool {
        matches!(self, Self::Pause | Self::Resume)
    }

    /// The order that holds something (pause, backoff), as opposed to lifting it.
    fn is_hold(self) -> bool {
        matches!(self, Self::Pause | Self::Backoff)
    }

    fn same_kind(self, other: Self) -> bool {
        self.is_pausing() == other.is_pausing()
    }
}

/// One standing order: an action and the pattern it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub action: RuleAction,
    pub pattern: QueuePattern,
}

/// Every standing order, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// True when every queue `inner` can match is matched by `outer` as far as the texts tell
/// (same pattern, or `outer`'s globs match `inner`'s text).
fn covers(outer: &QueuePattern, inner: &QueuePattern) -> bool {
    outer == inner || outer.matches(&inner.domain, &inner.vmta)
}

/// True when some queue may match both patterns (either's globs match the other's text).
fn overlaps(a: &QueuePattern, b: &QueuePattern) -> bool {
    a.matches(&b.domain, &b.vmta) || b.matches(&a.domain, &a.vmta)
}

impl Rules {
    pub fn all(&self) -> &[Rule] {
        &self.rules
    }

    /// Records `action` for `pattern`. A lifting order (resume, normal) is kept only while a
    /// hold it may override remains; otherwise removing the covered holds was all it took.
    /// `also_matches` tells whether an existing queue matches both patterns, for overlaps the
    /// texts do not show (`a*/*` against `*b/*`).
    pub fn record(
        &mut self,
        action: RuleAction,
        pattern: &QueuePattern,
        also_matches: impl Fn(&QueuePattern, &QueuePattern) -> bool,
    ) {
        self.rules
            .retain(|r| !r.action.same_kind(action) || !covers(pattern, &r.pattern));
        let overridden = self.rules.iter().any(|r| {
            r.action.same_kind(action)
                && r.action.is_hold()
                && (overlaps(&r.pattern, pattern) || also_matches(&r.pattern, pattern))
        });
        if action.is_hold() || overridden {
            self.push(action, pattern.clone());
        }
        self.drop_idle_lifts();
    }

    /// Appends a rule as read from the pause file (no simplification: the file is the
    /// daemon's own output).
    pub fn push(&mut self, action: RuleAction, pattern: QueuePattern) {
        self.rules.push(Rule { action, pattern });
    }

    /// Lifting rules of a kind with no hold left decide nothing; forget them.
    fn drop_idle_lifts(&mut self) {
        for pausing in [true, false] {
            let holds = self
                .rules
                .iter()
                .any(|r| r.action.is_pausing() == pausing && r.action.is_hold());
            if !holds {
                self.rules
                    .retain(|r| r.action.is_pausing() != pausing || r.action.is_hold());
            }
        }
    }

    /// The last rule of the pausing or mode kind matching the queue.
    fn last(&self, pausing: bool, domain: &str, vmta: &str) -> Option<RuleAction> {
        self.rules
            .iter()
            .rev()
            .find(|r| r.action.is_pausing() == pausing && r.pattern.matches(domain, vmta))
            .map(|r| r.action)
    }

    /// Is the queue (domain, vmta) paused by the operator?
    pub fn paused(&self, domain: &str, vmta: &str) -> bool {
        self.last(true, domain, vmta) == Some(RuleAction::Pause)
    }

    /// The mode the operator ordered for the queue, if any.
    pub fn mode(&self, domain: &str, vmta: &str) -> Option<Mode> {
        match self.last(false, domain, vmta)? {
            RuleAction::Backoff => Some(Mode::Backoff),
            _ => Some(Mode::Normal),
        }
    }

    /// The pause rule that holds the queue, if one does.
    pub fn pause_rule(&self, domain: &str, vmta: &str) -> Option<&QueuePattern> {
        self.rules
            .iter()
            .rev()
            .find(|r| r.action.is_pausing() && r.pattern.matches(domain, vmta))
            .filter(|r| r.action == RuleAction::Pause)
            .map(|r| &r.pattern)
    }

    /// The pause (and resume) rules, for `show paused` and `domain detail`.
    pub fn pauses(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.action.is_pausing())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> QueuePattern {
        QueuePattern::parse(s).unwrap()
    }

    fn none(_: &QueuePattern, _: &QueuePattern) -> bool {
        false
    }

    #[test]
    fn a_pause_holds_every_queue_its_pattern_names_now_or_later() {
        let mut r = Rules::default();
        r.record(RuleAction::Pause, &p("gmail.com/*"), none);
        assert!(r.paused("gmail.com", "{default}"));
        assert!(r.paused("GMAIL.com", "vmta1"));
        assert!(!r.paused("yahoo.com", "vmta1"));
    }

    #[test]
    fn a_narrow_resume_exempts_one_queue_and_a_broad_one_clears_everything() {
        let mut r = Rules::default();
        r.record(RuleAction::Pause, &p("gmail.com/*"), none);
        r.record(RuleAction::Resume, &p("gmail.com/vmta1"), none);
        assert!(!r.paused("gmail.com", "vmta1"));
        assert!(r.paused("gmail.com", "vmta2"));
        assert_eq!(r.all().len(), 2);
        r.record(RuleAction::Pause, &p("gmail.com/vmta1"), none);
        assert!(r.paused("gmail.com", "vmta1"));
        assert_eq!(r.all().len(), 2, "the pause replaced the exemption");
        r.record(RuleAction::Resume, &p("gmail.com"), none);
        assert!(r.all().is_empty());
        assert!(!r.paused("gmail.com", "vmta2"));
    }

    #[test]
    fn a_resume_of_something_never_paused_leaves_no_rule() {
        let mut r = Rules::default();
        r.record(RuleAction::Pause, &p("a.com"), none);
        r.record(RuleAction::Resume, &p("b.com"), none);
        assert_eq!(r.all().len(), 1);
        r.record(RuleAction::Resume, &p("zz*/*"), |_, _| true);
        assert_eq!(r.all().len(), 2, "an overlap only a queue shows counts");
    }

    #[test]
    fn modes_are_a_list_of_their_own() {
        let mut r = Rules::default();
        r.record(RuleAction::Pause, &p("*/*"), none);
        r.record(RuleAction::Backoff, &p("yahoo.com/*"), none);
        assert_eq!(r.mode("yahoo.com", "v"), Some(Mode::Backoff));
        assert_eq!(r.mode("gmail.com", "v"), None);
        assert!(r.paused("yahoo.com", "v"), "a mode rule does not resume");
        r.record(RuleAction::Normal, &p("yahoo.com"), none);
        assert_eq!(r.mode("yahoo.com", "v"), None);
        assert_eq!(r.pauses().count(), 1);
    }
}
