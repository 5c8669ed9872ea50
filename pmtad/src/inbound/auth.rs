//! SMTP AUTH (RFC 4954) in a session: when it is offered, the order checks of the command,
//! the SASL exchange (`sasl.rs`), the check of the credentials by the daemon, and the
//! failure rate per client address (`lockout.rs`).
//!
//! Every refused or failed AUTH counts against `smtp-max-auth-failure-rate`, whatever the
//! reason (bad base64, wrong order, no TLS): a prober gets nothing for free. An unknown user
//! and a wrong password get the same 535 after the same work, and neither the password
//! nor the base64 that carries it reaches a log.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::conn::ReadError;
use super::intake::Intake;
use super::sasl::{self, Credentials, Mechanism, SaslError};
use super::session::{Session, Step, Stop};

const INVALID: &str = "535 5.7.8 Error: authentication credentials invalid";
const TOO_LONG: &str = "500 5.5.6 Error: authentication exchange line is too long";
const LOCKED: &str = "421 4.7.0 Error: too many failed authentication attempts, try again later";

/// What one exchange produced.
enum Exchange {
    Credentials(Credentials),
    /// Refused with this reply (already counted as a failure by the caller).
    Refused(&'static str),
}

impl<I: Intake, IO: AsyncRead + AsyncWrite + Unpin> Session<I, IO> {
    /// Whether the EHLO reply lists AUTH: allowed for the source, users configured, and on
    /// this connection as it is now (TLS, or plain text where the source allows it).
    pub(super) fn auth_offered(&self) -> bool {
        self.rules.policy.allow_auth
            && self.auth_user.is_none()
            && self.ctx.intake.auth_available()
            && (self.conn.is_tls() || self.plain_text_auth_allowed())
    }

    fn plain_text_auth_allowed(&self) -> bool {
        self.rules.policy.allow_unencrypted_plain_auth
            && !self.rules.policy.require_starttls_before_auth
            && !self.rules.policy.require_starttls
    }

    /// `AUTH MECHANISM [initial-response]`.
    pub(super) async fn auth(&mut self, mechanism: &str, initial: Option<&[u8]>) -> Step {
        if self.auth_locked() {
            self.reply(LOCKED);
            return Err(Stop::Refused);
        }
        if let Some(refusal) = self.auth_refusal() {
            return self.auth_failed(refusal);
        }
        let Some(mechanism) = Mechanism::parse(mechanism) else {
            return self.auth_failed("504 5.5.4 Error: unrecognized authentication type");
        };
        let exchange = match mechanism {
            Mechanism::Plain => self.plain_exchange(initial).await?,
            Mechanism::Login => self.login_exchange(initial).await?,
        };
        match exchange {
            Exchange::Refused(line) => self.auth_failed(line),
            Exchange::Credentials(creds) => self.check_credentials(creds).await,
        }
    }

    /// Why AUTH may not be used now, in the order RFC 4954 §4 lists the checks.
    fn auth_refusal(&self) -> Option<&'static str> {
        let plain = !self.conn.is_tls();
        Some(
            if !self.rules.policy.allow_auth || !self.ctx.intake.auth_available() {
                "502 5.5.1 Error: AUTH not available"
            } else if self.helo.is_none() || !self.esmtp {
                "503 5.5.1 Error: send EHLO first"
            } else if self.auth_user.is_some() {
                "503 5.5.1 Error: already authenticated"
            } else if self.txn.mail_from.is_some() {
                "503 5.5.1 Error: AUTH not permitted during a mail transaction"
            } else if plain
                && (self.rules.policy.require_starttls_before_auth
                    || self.rules.policy.require_starttls)
            {
                "530 5.7.0 Error: must issue a STARTTLS command first"
            } else if plain && !self.rules.policy.allow_unencrypted_plain_auth {
                "538 5.7.11 Error: encryption required for requested authentication mechanism"
            } else {
                return None;
            },
        )
    }

    async fn plain_exchange(&mut self, initial: Option<&[u8]>) -> Result<Exchange, Stop> {
        let decoded = match initial {
            Some(resp) => sasl::decode(resp),
            None => match self.challenge("334 ").await? {
                Ok(resp) => Ok(resp),
                Err(line) => return Ok(Exchange::Refused(line)),
            },
        };
        Ok(match decoded.and_then(|d| sasl::plain(&d)) {
            Ok(creds) => Exchange::Credentials(creds),
            Err(e) => Exchange::Refused(sasl_reply(e)),
        })
    }

    async fn login_exchange(&mut self, initial: Option<&[u8]>) -> Result<Exchange, Stop> {
        let user = match initial {
            Some(resp) => sasl::decode(resp),
            None => match self.challenge(sasl::LOGIN_USER_CHALLENGE).await? {
                Ok(resp) => Ok(resp),
                Err(line) => return Ok(Exchange::Refused(line)),
            },
        };
        let user = match user {
            Ok(u) => u,
            Err(e) => return Ok(Exchange::Refused(sasl_reply(e))),
        };
        let password = match self.challenge(sasl::LOGIN_PASSWORD_CHALLENGE).await? {
            Ok(p) => p,
            Err(line) => return Ok(Exchange::Refused(line)),
        };
        Ok(match sasl::login(&user, &password) {
            Ok(creds) => Exchange::Credentials(creds),
            Err(e) => Exchange::Refused(sasl_reply(e)),
        })
    }

    /// Sends a 334 challenge and reads the client's response, decoded. The response line
    /// is never logged (it carries the password).
    async fn challenge(
        &mut self,
        line: &'static str,
    ) -> Result<Result<Vec<u8>, &'static str>, Stop> {
        self.reply(line);
        match self.conn.read_line(self.rules.command_timeout).await {
            Ok(range) => Ok(sasl::decode(self.conn.line(range)).map_err(sasl_reply)),
            Err(ReadError::TooLong) => Ok(Err(
                "500 5.5.6 Error: authentication exchange line is too long",
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn check_credentials(&mut self, creds: Credentials) -> Step {
        let Some(user) = self.ctx.intake.authenticate(&creds).await else {
            return self.auth_failed(INVALID);
        };
        self.ctx.lockout.succeeded(self.peer.ip());
        self.rules = self
            .ctx
            .intake
            .auth_source_policy(self.peer.ip(), self.local, &user);
        self.fields = super::session::plan(&*self.ctx.intake, &self.rules);
        self.ctx.intake.authenticated(self.peer.ip(), &user);
        self.auth_user = Some(user);
        self.reply("235 2.7.0 Authentication successful");
        Ok(())
    }

    fn auth_locked(&self) -> bool {
        self.rules.max_auth_failures().is_some_and(|rate| {
            self.ctx
                .lockout
                .locked(self.peer.ip(), rate, Instant::now())
        })
    }

    /// Replies with a refusal and counts it: against the session's error limit and the
    /// client address's failure rate.
    fn auth_failed(&mut self, line: &str) -> Step {
        if let Some(rate) = self.rules.max_auth_failures() {
            self.ctx
                .lockout
                .failed(self.peer.ip(), rate, Instant::now());
        }
        self.refuse(line)
    }
}

fn sasl_reply(e: SaslError) -> &'static str {
    match e {
        SaslError::Base64 => "501 5.5.2 Error: cannot decode response",
        SaslError::Cancelled => "501 5.0.0 Error: authentication cancelled",
        SaslError::Malformed => INVALID,
        SaslError::TooLong => TOO_LONG,
    }
}

/// A user name as it may appear in a log line: printable ASCII, bounded.
pub fn printable(user: &str) -> String {
    user.chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .take(sasl::MAX_USER)
        .collect()
}
