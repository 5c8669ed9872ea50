//! Who may do what: `http-access` by the client's address, raised to admin by a valid
//! `X-API-Key`.

use std::net::IpAddr;

use config::{HttpLevel, HttpMgmt};

use super::HttpError;

/// The header PowerMTA's API clients send their key in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The client's level. A key that matches gives admin from any address; a key that does
/// not match is refused outright rather than falling back to the address's level, so a
/// script with a stale key fails loudly. No access at all is refused too.
pub fn level(settings: &HttpMgmt, ip: IpAddr, key: Option<&str>) -> Result<HttpLevel, HttpError> {
    let level = match key {
        Some(k) if settings.key_matches(k) => HttpLevel::Admin,
        Some(_) => return Err(HttpError::Forbidden("the API key is not valid".into())),
        None => settings.level_for(ip),
    };
    if level == HttpLevel::None {
        return Err(HttpError::Forbidden(format!(
            "{ip} has no http-access to this server"
        )));
    }
    Ok(level)
}

/// Refuses unless `have` is at least `need`.
pub fn require(have: HttpLevel, need: HttpLevel, what: &str) -> Result<(), HttpError> {
    if have >= need {
        return Ok(());
    }
    Err(HttpError::Forbidden(format!(
        "{what} needs {} access; this client has {}",
        need.as_str(),
        have.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use config::HttpAccess;

    fn settings() -> HttpMgmt {
        HttpMgmt {
            access: vec![HttpAccess {
                net: "127.0.0.0/8".parse().unwrap(),
                level: HttpLevel::Monitor,
            }],
            api_keys: vec!["a".repeat(32)],
            ..HttpMgmt::default()
        }
    }

    #[test]
    fn key_raises_to_admin_and_a_wrong_key_is_refused() {
        let s = settings();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let far: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(level(&s, lo, None).unwrap(), HttpLevel::Monitor);
        assert!(matches!(level(&s, far, None), Err(HttpError::Forbidden(_))));
        assert_eq!(
            level(&s, far, Some(&"a".repeat(32))).unwrap(),
            HttpLevel::Admin
        );
        assert!(matches!(
            level(&s, lo, Some("wrong")),
            Err(HttpError::Forbidden(_))
        ));
        assert!(require(HttpLevel::Monitor, HttpLevel::Admin, "pause").is_err());
        assert!(require(HttpLevel::Admin, HttpLevel::Operator, "show").is_ok());
    }
}
