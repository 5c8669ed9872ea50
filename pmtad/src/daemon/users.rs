//! Checks SMTP AUTH credentials against the configured `<smtp-user>`s.
//!
//! A plain password (PowerMTA's form) is compared in constant time; an Argon2 hash (PHC
//! string) is verified on a blocking thread, since it costs milliseconds of CPU by design.
//! An unknown user costs the same as a known one: its password is checked against a
//! stand-in of the same kind, and the answer is the same `None`.

use std::collections::BTreeMap;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use config::{Password, SmtpUser};

use crate::inbound::Credentials;

/// Whether `creds` are good for one of `users`.
pub(crate) async fn check(users: &BTreeMap<String, SmtpUser>, creds: &Credentials) -> bool {
    let (password, known) = match users.get(&creds.user) {
        Some(u) => (u.password.clone(), true),
        None => (stand_in(users), false),
    };
    let matches = matches(password, creds.password.clone()).await;
    known && matches
}

/// What an unknown user's password is checked against: the first hashed password if there
/// is one (so the work is the same as for a real hashed user), else an empty plain one.
fn stand_in(users: &BTreeMap<String, SmtpUser>) -> Password {
    users
        .values()
        .map(|u| &u.password)
        .find(|p| matches!(p, Password::Argon2(_)))
        .cloned()
        .unwrap_or(Password::Plain(String::new()))
}

async fn matches(password: Password, given: Vec<u8>) -> bool {
    match password {
        Password::Plain(_) => verify_password(&password, &given),
        Password::Argon2(_) => {
            tokio::task::spawn_blocking(move || verify_password(&password, &given))
                .await
                .unwrap_or(false)
        }
    }
}

/// Whether `given` is the password (blocking: an Argon2 check takes milliseconds of CPU).
pub fn verify_password(password: &Password, given: &[u8]) -> bool {
    match password {
        Password::Plain(p) => constant_time_eq(p.as_bytes(), given),
        Password::Argon2(phc) => verify_argon2(phc, given),
    }
}

/// A malformed hash (the config checks only its shape) matches nothing.
fn verify_argon2(phc: &str, given: &[u8]) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(given, &hash)
        .is_ok()
}

/// Equal bytes, in time that depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An Argon2id hash of `password` in PHC form with a random salt and the crate's default
/// cost (19 MiB, 2 passes), for `pmtad --hash-password`.
pub fn hash_password(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt)?;
    let hash = argon2::Argon2::default().hash_password(password, &salt)?;
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(list: &[(&str, Password)]) -> BTreeMap<String, SmtpUser> {
        let file = std::sync::Arc::from("t.conf");
        list.iter()
            .map(|(name, password)| {
                let user = SmtpUser {
                    name: name.to_string(),
                    password: password.clone(),
                    source: None,
                    span: config::Span::new(&file, 1, 1),
                };
                (name.to_string(), user)
            })
            .collect()
    }

    fn creds(user: &str, password: &str) -> Credentials {
        Credentials {
            user: user.into(),
            password: password.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn plain_and_hashed_passwords_check() {
        let hash = hash_password(b"h4shed").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        let all = users(&[
            ("alice", Password::Plain("s3cret".into())),
            ("bob", Password::Argon2(hash)),
        ]);
        assert!(check(&all, &creds("alice", "s3cret")).await);
        assert!(!check(&all, &creds("alice", "s3cre")).await);
        assert!(check(&all, &creds("bob", "h4shed")).await);
        assert!(!check(&all, &creds("bob", "s3cret")).await);
        assert!(
            !check(&all, &creds("carol", "h4shed")).await,
            "unknown user"
        );
        assert!(
            !check(&all, &creds("Alice", "s3cret")).await,
            "names are exact"
        );
    }

    #[tokio::test]
    async fn a_malformed_hash_matches_nothing() {
        let all = users(&[("a", Password::Argon2("$argon2id$v=19$m=8$x$y".into()))]);
        assert!(!check(&all, &creds("a", "")).await);
        assert!(!check(&users(&[]), &creds("a", "")).await);
    }
}
