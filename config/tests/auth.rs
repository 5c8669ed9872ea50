//! `<smtp-user>`, the `{auth}` source and the inbound TLS policy directives.

mod common;

use common::*;
use config::Password;
use std::net::IpAddr;
use std::time::Duration;

const HASH: &str = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$0ZgYOEtLtbIkYvyq5eNxUw";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn users_load_with_plain_and_hashed_passwords() {
    let cfg = load(&format!(
        "<smtp-user alice>\n password s3cret\n authentication-method password\n</smtp-user>\n\
         <smtp-user bob>\n password {HASH}\n source bulk\n</smtp-user>\n<source bulk>\n</source>\n"
    ))
    .config;
    let alice = &cfg.smtp_users["alice"];
    assert_eq!(alice.password, Password::Plain("s3cret".into()));
    assert_eq!(
        cfg.smtp_users["bob"].password,
        Password::Argon2(HASH.into())
    );
    assert_eq!(cfg.smtp_users["bob"].source.as_deref(), Some("bulk"));
    let shown = format!("{:?}", cfg.smtp_users);
    assert!(
        !shown.contains("s3cret") && !shown.contains("0ZgYOEt"),
        "{shown}"
    );
}

#[test]
fn bad_users_are_errors() {
    assert_one_error("<smtp-user a>\n</smtp-user>\n", 1, 1, "needs a password");
    assert_one_error(
        "<smtp-user a>\npassword x\nauthentication-method system\n</smtp-user>\n",
        3,
        23,
        "not supported by pmtad",
    );
    assert_one_error(
        "<smtp-user a>\npassword $argon2id$nonsense\n</smtp-user>\n",
        2,
        10,
        "not a valid Argon2",
    );
    assert_one_error(
        "<smtp-user a>\npassword x\nsource nowhere\n</smtp-user>\n",
        3,
        8,
        "named <source> 'nowhere' is not defined",
    );
}

#[test]
fn authenticated_sessions_take_the_auth_source_then_their_own() {
    let cfg = load(
        "<source 0/0>\n smtp-max-auth-failure-rate 3/5m\n require-auth yes\n</source>\n\
         <source {auth}>\n always-allow-relaying yes\n</source>\n\
         <source bulk>\n default-virtual-mta {default}\n always-allow-relaying no\n</source>\n\
         <smtp-user a>\n password x\n</smtp-user>\n<smtp-user b>\n password y\n source bulk\n</smtp-user>\n",
    )
    .config;
    let anon = cfg.source(ip("192.0.2.1"));
    assert!(anon.require_auth && !anon.always_allow_relaying && anon.allow_auth);
    let rate = anon.max_auth_failures.unwrap();
    assert_eq!((rate.count, rate.per), (3, Duration::from_secs(300)));
    assert!(
        cfg.source_for_user(ip("192.0.2.1"), None, "a")
            .always_allow_relaying
    );
    // A user with its own source does not get {auth}'s settings.
    assert!(
        !cfg.source_for_user(ip("192.0.2.1"), None, "b")
            .always_allow_relaying
    );
    assert!(!anon.allow_unencrypted_plain_auth && anon.allow_starttls && !anon.require_starttls);
}

#[test]
fn requiring_tls_without_a_certificate_is_an_error() {
    assert_one_error(
        "<source 0/0>\n  require-starttls yes\n</source>\n",
        2,
        3,
        "no smtp-server-tls-certificate",
    );
    assert_one_error(
        "<source 10/8>\n  require-starttls-before-auth yes\n</source>\n",
        2,
        3,
        "no smtp-server-tls-certificate",
    );
    let cfg = load(&format!(
        "smtp-server-tls-certificate {}\nsmtp-server-tls-allow-tlsv1.2 no\n<source 0/0>\n require-starttls yes\n</source>\n",
        data("cert.pem").display()
    ))
    .config;
    assert!(cfg.source(ip("127.0.0.1")).require_starttls);
    assert!(!cfg.smtp_server_tls12 && cfg.smtp_server_tls13);
    let d = errors("smtp-server-tls-allow-tlsv1.2 no\nsmtp-server-tls-allow-tlsv1.3 no\n");
    assert!(
        d.to_string().contains("could not negotiate any version"),
        "{d}"
    );
}

/// `smtp-server-tls-ciphers` / `-v1.3-ciphersuites`: OpenSSL strings map onto rustls's
/// suites; a named suite rustls lacks is a warning, an unknown word an error at its column.
#[test]
fn inbound_tls_cipher_strings_map_or_fail_where_they_are_wrong() {
    let l = load(
        "smtp-server-tls-ciphers EECDH+AESGCM:DHE-RSA-AES256-SHA:!aNULL\n\
         smtp-server-tls-v1.3-ciphersuites TLS_CHACHA20_POLY1305_SHA256\n",
    );
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(l.warnings[0].to_string().contains("DHE-RSA-AES256-SHA"));
    assert_eq!(
        l.config.smtp_server_tls_ciphers.as_ref().map(Vec::len),
        Some(4)
    );
    assert_eq!(
        l.config.smtp_server_tls13_suites,
        Some(vec![config::CipherSuite::Tls13Chacha20])
    );
    assert_one_error(
        "host-name a.test\nsmtp-server-tls-ciphers HIGH:ECDHE-RSA-AES128-GCM-SHA265\n",
        2,
        30,
        "'ECDHE-RSA-AES128-GCM-SHA265' is not an OpenSSL cipher name",
    );
    assert_one_error(
        "smtp-server-tls-ciphers RC4:3DES\n",
        1,
        25,
        "selects none of the TLS 1.2 suites",
    );
    assert_one_error(
        "smtp-server-tls-v1.3-ciphersuites TLS_AES_128_GCM_SHA256:TLS_FOO\n",
        1,
        58,
        "'TLS_FOO' is not a TLS 1.3 suite",
    );
}
