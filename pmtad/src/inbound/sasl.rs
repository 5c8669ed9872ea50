//! SASL for SMTP AUTH (RFC 4954): the PLAIN (RFC 4616) and LOGIN mechanisms, as the decoding
//! of the client's base64 responses into credentials. No I/O and no policy here: the
//! session (`auth.rs`) drives the exchange and the daemon checks the credentials.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Longest user name accepted; longer ones cannot name a configured `<smtp-user>`.
pub(crate) const MAX_USER: usize = 255;
/// Longest password accepted (far beyond any real one; bounds the work per attempt).
pub(crate) const MAX_PASSWORD: usize = 1024;

/// Longest base64 response line: room for the longest user and password and the NULs.
pub(crate) const MAX_RESPONSE: usize = (MAX_USER + MAX_PASSWORD + 2).div_ceil(3) * 4;

/// The mechanisms offered, in the order the EHLO reply lists them.
pub(crate) const OFFERED: &str = "PLAIN LOGIN";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mechanism {
    Plain,
    Login,
}

impl Mechanism {
    /// The mechanism named in `AUTH NAME` (case-insensitive), if we offer it.
    pub(crate) fn parse(name: &str) -> Option<Mechanism> {
        if name.eq_ignore_ascii_case("PLAIN") {
            Some(Mechanism::Plain)
        } else if name.eq_ignore_ascii_case("LOGIN") {
            Some(Mechanism::Login)
        } else {
            None
        }
    }
}

/// Why a client response gives no credentials; each maps to one RFC 4954 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SaslError {
    /// 501 5.5.2: the response is not base64.
    #[error("cannot decode the response")]
    Base64,
    /// 501 5.0.0: the client sent `*`.
    #[error("cancelled by the client")]
    Cancelled,
    /// 535 5.7.8: decodes, but is not a well-formed credential (or too long): answered
    /// exactly like a wrong password, so a prober learns nothing.
    #[error("malformed credentials")]
    Malformed,
    /// 500 5.5.6: the response line is longer than any good credential.
    #[error("response too long")]
    TooLong,
}

/// A user name and password from the client. The password never appears in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: Vec<u8>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Decodes one base64 response line; `*` cancels; `=` is the empty response (RFC 4954 §4).
pub(crate) fn decode(line: &[u8]) -> Result<Vec<u8>, SaslError> {
    let line = line.trim_ascii();
    if line.len() > MAX_RESPONSE {
        return Err(SaslError::TooLong);
    }
    match line {
        b"*" => Err(SaslError::Cancelled),
        b"=" => Ok(Vec::new()),
        _ => STANDARD.decode(line).map_err(|_| SaslError::Base64),
    }
}

/// PLAIN: `authzid NUL authcid NUL passwd`. An authorization identity other than the user
/// itself is refused (we do not let one user submit as another).
pub(crate) fn plain(decoded: &[u8]) -> Result<Credentials, SaslError> {
    let mut parts = decoded.split(|&b| b == 0);
    let (Some(authz), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::Malformed);
    };
    if !authz.is_empty() && authz != user {
        return Err(SaslError::Malformed);
    }
    credentials(user, password)
}

/// LOGIN: the user name and the password come as two separate responses.
pub(crate) fn login(user: &[u8], password: &[u8]) -> Result<Credentials, SaslError> {
    credentials(user, password)
}

fn credentials(user: &[u8], password: &[u8]) -> Result<Credentials, SaslError> {
    let valid_user = !user.is_empty()
        && user.len() <= MAX_USER
        && user.iter().all(|&b| b.is_ascii_graphic() || b >= 0x80);
    if !valid_user || password.len() > MAX_PASSWORD {
        return Err(SaslError::Malformed);
    }
    let user = std::str::from_utf8(user).map_err(|_| SaslError::Malformed)?;
    Ok(Credentials {
        user: user.to_string(),
        password: password.to_vec(),
    })
}

/// The LOGIN challenges, base64 of `Username:` and `Password:`.
pub(crate) const LOGIN_USER_CHALLENGE: &str = "334 VXNlcm5hbWU6";
pub(crate) const LOGIN_PASSWORD_CHALLENGE: &str = "334 UGFzc3dvcmQ6";

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> Vec<u8> {
        STANDARD.encode(s).into_bytes()
    }

    #[test]
    fn plain_decodes_with_and_without_authzid() {
        let c = plain(&decode(&b64(b"\0alice\0s3cret")).unwrap()).unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_slice()),
            ("alice", &b"s3cret"[..])
        );
        let c = plain(b"alice\0alice\0pw").unwrap();
        assert_eq!(c.user, "alice");
        assert_eq!(plain(b"bob\0alice\0pw"), Err(SaslError::Malformed));
        assert_eq!(plain(b"\0alice"), Err(SaslError::Malformed));
        assert_eq!(plain(b"\0alice\0pw\0extra"), Err(SaslError::Malformed));
        assert_eq!(plain(b"\0\0pw"), Err(SaslError::Malformed));
    }

    #[test]
    fn bad_responses_are_told_apart() {
        assert_eq!(decode(b"not base64!"), Err(SaslError::Base64));
        assert_eq!(decode(b"*"), Err(SaslError::Cancelled));
        assert_eq!(decode(b"="), Ok(Vec::new()));
        assert_eq!(decode(b" YQ== "), Ok(b"a".to_vec()));
        assert_eq!(decode(&[b'A'; MAX_RESPONSE + 4]), Err(SaslError::TooLong));
        assert!(decode(&[b'A'; MAX_RESPONSE]).is_ok());
    }

    #[test]
    fn over_long_or_odd_user_names_are_malformed() {
        let long = vec![b'a'; MAX_USER + 1];
        assert_eq!(login(&long, b"pw"), Err(SaslError::Malformed));
        assert_eq!(login(b"a b", b"pw"), Err(SaslError::Malformed));
        assert_eq!(login(b"a\xff", b"pw"), Err(SaslError::Malformed));
        let pw = vec![b'p'; MAX_PASSWORD + 1];
        assert_eq!(login(b"alice", &pw), Err(SaslError::Malformed));
        assert!(login("jürgen".as_bytes(), b"pw").is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = login(b"alice", b"hunter2").unwrap();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("alice") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn mechanisms_are_case_insensitive() {
        assert_eq!(Mechanism::parse("plain"), Some(Mechanism::Plain));
        assert_eq!(Mechanism::parse("LOGIN"), Some(Mechanism::Login));
        assert_eq!(Mechanism::parse("CRAM-MD5"), None);
    }
}
