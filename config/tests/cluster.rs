//! The fleet's settings: `cluster-redis-url` (plain, TLS, Unix socket) and the TLS files a
//! `rediss://` Redis takes, checked at load so a typo fails it instead of leaving the node
//! outside the fleet, and never echoing the URL's password.

mod common;

use common::*;

#[test]
fn a_rediss_url_with_its_tls_files_resolves() {
    let cfg = load(
        "cluster-redis-url rediss://pmtad:pw@redis.example:6380/1\n\
         cluster-redis-ca-file /etc/pmtad/redis-ca.pem\n\
         cluster-redis-cert-file /etc/pmtad/node.crt\n\
         cluster-redis-key-file /etc/pmtad/node.key\n",
    )
    .config;
    let c = &cfg.cluster;
    assert_eq!(
        c.redis_url.as_deref(),
        Some("rediss://pmtad:pw@redis.example:6380/1")
    );
    let file = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    assert_eq!(
        file(&c.redis_ca_file).as_deref(),
        Some("/etc/pmtad/redis-ca.pem")
    );
    assert_eq!(
        file(&c.redis_cert_file).as_deref(),
        Some("/etc/pmtad/node.crt")
    );
    assert_eq!(
        file(&c.redis_key_file).as_deref(),
        Some("/etc/pmtad/node.key")
    );
}

#[test]
fn tls_files_without_rediss_are_an_error_at_their_line() {
    assert_one_error(
        "cluster-redis-url redis://127.0.0.1:6379\ncluster-redis-ca-file /ca.pem\n",
        2,
        1,
        "need a rediss://",
    );
}

#[test]
fn a_client_certificate_needs_its_key() {
    assert_one_error(
        "cluster-redis-url rediss://h:6380\ncluster-redis-cert-file /node.crt\n",
        2,
        1,
        "go together",
    );
}

#[test]
fn a_bad_url_is_reported_without_its_password() {
    let d = errors("cluster-redis-url http://pmtad:s3cret@h:6379\n");
    let text = d.to_string();
    assert!(
        text.contains("not a redis://, rediss:// or unix:// URL"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("pmtad:***@h:6379"), "{text}");
}
