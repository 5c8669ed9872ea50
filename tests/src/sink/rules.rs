//! What the sink answers: a default reply per phase, overridden by rules that may match one
//! recipient and/or one attempt number.

/// A point of the SMTP dialogue where the sink answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The 220 banner (attempt = connection number).
    Greeting,
    /// EHLO (attempt = connection number). A 5xx here makes clients fall back to HELO.
    Ehlo,
    /// HELO (attempt = connection number).
    Helo,
    /// MAIL FROM (attempt = transaction number, counted over all connections).
    Mail,
    /// RCPT TO (attempt = how many times this recipient was seen).
    Rcpt,
    /// The 354 after DATA (attempt = transaction number).
    Data,
    /// The reply after the final dot (attempt = transaction number).
    DataEnd,
}

/// What to do at a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this reply (the text may hold several lines separated by `\n`).
    Reply(u16, String),
    /// Close the connection without replying.
    Drop,
    /// Only at [`Phase::Data`]: send 354, read part of the message, then close.
    DropMidData,
    /// Say nothing and keep the connection open until the client closes it (a server that
    /// never answers, for the client's timeouts).
    Hang,
}

/// Shorthand for [`Action::Reply`].
pub fn reply(code: u16, text: &str) -> Action {
    Action::Reply(code, text.to_string())
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub phase: Phase,
    pub rcpt: Option<String>,
    pub attempt: Option<u32>,
    /// Only for connections from this client address.
    pub peer: Option<std::net::IpAddr>,
    pub action: Action,
}

/// Rules, most recently added first; falls back to the defaults.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    pub fn push(&mut self, rule: Rule) {
        self.rules.insert(0, rule);
    }

    /// The action for `phase`, the given recipient (RCPT only), attempt number and client.
    pub fn action(
        &self,
        phase: Phase,
        rcpt: Option<&str>,
        attempt: u32,
        peer: std::net::IpAddr,
    ) -> Action {
        self.rules
            .iter()
            .find(|r| {
                r.phase == phase
                    && r.attempt.is_none_or(|a| a == attempt)
                    && r.peer.is_none_or(|p| p == peer)
                    && r.rcpt
                        .as_deref()
                        .is_none_or(|want| rcpt.is_some_and(|got| got.eq_ignore_ascii_case(want)))
            })
            .map_or_else(|| default_action(phase), |r| r.action.clone())
    }
}

fn default_action(phase: Phase) -> Action {
    match phase {
        Phase::Greeting => reply(220, "sink.test ESMTP test sink"),
        Phase::Ehlo | Phase::Helo => reply(250, "sink.test"),
        Phase::Mail => reply(250, "2.1.0 sender ok"),
        Phase::Rcpt => reply(250, "2.1.5 recipient ok"),
        Phase::Data => reply(354, "go ahead"),
        Phase::DataEnd => reply(250, "2.0.0 queued"),
    }
}
