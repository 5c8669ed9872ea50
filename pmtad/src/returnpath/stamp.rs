//! The `X-Pmtad-Ref` stamp: what pmtad puts on every message it sends while a return-path
//! processor is configured, so a bounce or complaint that comes back days later can be
//! matched to the recipient, job and virtual MTA it was sent for.
//!
//! The value is `1.MSGID.JOB.VMTA.RCPT.MAC`: the spool message id (hex), the job id and
//! virtual MTA (base64url), the recipient (base64url of the address when the transaction
//! had one recipient; `~` and 6-byte tags of each address when it had several, so one
//! recipient's copy does not disclose the others; `*` above 64), and an HMAC-SHA256 of
//! all of it under a key kept in the spool directory (`returnpath.key`, made on first use).
//!
//! Why signed: a report is mail anyone can send. Without the MAC a forged report could
//! name any address and have it suppressed; with it, a report about a message pmtad never
//! sent (or with a changed recipient) is simply unmatched. The key never leaves the host.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;

/// The header field name of the stamp.
pub const HEADER: &str = "X-Pmtad-Ref";

/// Above this many recipients in one transaction the stamp names none of them.
const MAX_TAGS: usize = 64;
const TAG_LEN: usize = 6;

/// The key file could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("return-path key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("return-path key {0}: not 64 hex digits")]
    Malformed(String),
}

/// Who a verified stamp says the message was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The one recipient of the transaction (lower case).
    One(String),
    /// Tags of the transaction's recipients: a report's address must have one of them.
    Tags(Vec<[u8; TAG_LEN]>),
    /// Too many recipients to list: any address the report names.
    Any,
}

/// A verified stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub message: u64,
    pub job: Option<String>,
    pub vmta: String,
    pub sent: Sent,
}

impl Stamp {
    /// The recipient a report is about, given the addresses it names: the stamped one,
    /// or the first named address the stamp has a tag for (`None`: not one we sent to).
    pub fn recipient<'a>(
        &self,
        key: &Key,
        named: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        match &self.sent {
            Sent::One(a) => Some(a.clone()),
            Sent::Any => named.into_iter().next().map(str::to_ascii_lowercase),
            Sent::Tags(tags) => named
                .into_iter()
                .map(str::to_ascii_lowercase)
                .find(|a| tags.contains(&key.tag(self.message, a))),
        }
    }
}

/// The HMAC key.
#[derive(Clone)]
pub struct Key(hmac::Key);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A key from 32 bytes (tests, benchmarks).
    pub fn from_bytes(bytes: &[u8]) -> Key {
        Key(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }

    /// `DIR/returnpath.key`, made (32 random bytes, hex, mode 0600) when absent.
    pub fn load_or_create(dir: &Path) -> Result<Key, KeyError> {
        let path = dir.join("returnpath.key");
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_hex(text.trim())
                .map(|b| Key::from_bytes(&b))
                .ok_or_else(|| KeyError::Malformed(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; 32] = rand::random();
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                write_private(&path, hex.as_bytes()).map_err(io)?;
                Ok(Key::from_bytes(&bytes))
            }
            Err(e) => Err(io(e)),
        }
    }

    fn tag(&self, message: u64, rcpt: &str) -> [u8; TAG_LEN] {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(&message.to_be_bytes());
        ctx.update(rcpt.as_bytes());
        let mut out = [0; TAG_LEN];
        out.copy_from_slice(&ctx.sign().as_ref()[..TAG_LEN]);
        out
    }

    /// The stamp value for one transaction of message `message`.
    pub fn stamp(&self, message: u64, job: Option<&str>, vmta: &str, rcpts: &[&str]) -> String {
        let rcpt = match rcpts {
            [one] => B64.encode(one.to_ascii_lowercase()),
            many if many.len() > MAX_TAGS => "*".to_string(),
            many => {
                let tags: Vec<u8> = many
                    .iter()
                    .flat_map(|r| self.tag(message, &r.to_ascii_lowercase()))
                    .collect();
                format!("~{}", B64.encode(tags))
            }
        };
        let body = format!(
            "1.{message:016x}.{}.{}.{rcpt}",
            B64.encode(job.unwrap_or_default()),
            B64.encode(vmta)
        );
        let mac = hmac::sign(&self.0, body.as_bytes());
        format!("{body}.{}", B64.encode(mac.as_ref()))
    }

    /// The stamp `value` carries, if it is well formed and its MAC is ours.
    pub fn verify(&self, value: &str) -> Option<Stamp> {
        let value: String = value.split_whitespace().collect();
        let (body, mac) = value.rsplit_once('.')?;
        let mac = B64.decode(mac).ok()?;
        hmac::verify(&self.0, body.as_bytes(), &mac).ok()?;
        let mut parts = body.split('.');
        let (Some("1"), Some(id), Some(job), Some(vmta), Some(rcpt), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let text = |s: &str| String::from_utf8(B64.decode(s).ok()?).ok();
        let job = text(job)?;
        Some(Stamp {
            message: u64::from_str_radix(id, 16).ok()?,
            job: (!job.is_empty()).then_some(job),
            vmta: text(vmta)?,
            sent: sent(rcpt, text)?,
        })
    }
}

fn sent(rcpt: &str, text: impl Fn(&str) -> Option<String>) -> Option<Sent> {
    Some(match rcpt {
        "*" => Sent::Any,
        tags if tags.starts_with('~') => {
            let bytes = B64.decode(&tags[1..]).ok()?;
            let chunks = bytes.chunks_exact(TAG_LEN);
            Sent::Tags(
                chunks
                    .map(|c| c.try_into().unwrap_or([0; TAG_LEN]))
                    .collect(),
            )
        }
        one => Sent::One(text(one)?),
    })
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("key.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_verifies_and_names_its_recipient() {
        let key = Key::from_bytes(&[7; 32]);
        let v = key.stamp(0x2a, Some("job-1"), "vmta1", &["Bob@Example.NET"]);
        let s = key.verify(&v).unwrap();
        assert_eq!(
            (s.message, s.job.as_deref(), s.vmta.as_str()),
            (0x2a, Some("job-1"), "vmta1")
        );
        assert_eq!(
            s.recipient(&key, ["x@y"]).as_deref(),
            Some("bob@example.net")
        );
    }

    #[test]
    fn several_recipients_are_tags_and_forgeries_fail() {
        let key = Key::from_bytes(&[7; 32]);
        let v = key.stamp(9, None, "{default}", &["a@x.example", "b@x.example"]);
        let s = key.verify(&v).unwrap();
        assert_eq!(s.job, None);
        assert_eq!(s.recipient(&key, ["c@x.example"]), None);
        assert_eq!(
            s.recipient(&key, ["c@x.example", "B@x.example"]).as_deref(),
            Some("b@x.example")
        );
        let other = Key::from_bytes(&[8; 32]);
        assert!(other.verify(&v).is_none());
        let forged = v.replacen("1.0000000000000009", "1.0000000000000008", 1);
        assert!(key.verify(&forged).is_none());
        assert!(key.verify("garbage").is_none());
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = Key::load_or_create(dir.path()).unwrap();
        let b = Key::load_or_create(dir.path()).unwrap();
        let v = a.stamp(1, None, "v", &["r@x.example"]);
        assert!(b.verify(&v).is_some());
    }
}
