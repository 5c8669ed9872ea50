//! Real PowerMTA configs: the realistic config of powermta.md §3.7 loads with no errors
//! and the expected warnings; DKIM keys of each supported form load and bad ones fail.

mod common;

use common::*;
use config::{DEFAULT_VMTA, KeyAlgorithm, TlsMode};
use std::time::Duration;

#[test]
fn realistic_powermta_config_loads() {
    let text = std::fs::read_to_string(data("powermta-3.7.conf")).unwrap();
    let key = data("rsa-pkcs8.pem");
    let text = text.replace("/etc/pmta/s1.example.com.pem", key.to_str().unwrap());
    let loaded = config::load_str(&text, data("powermta-3.7.conf").to_str().unwrap())
        .unwrap_or_else(|d| panic!("{d}"));
    let warned: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
    for name in ["run-as-root", "deliver-only"] {
        assert!(
            warned.iter().any(|w| w.contains(&format!("'{name}'"))),
            "no warning for {name}: {warned:#?}"
        );
    }
    let cfg = loaded.config;
    assert_eq!(cfg.http.listen, Some("127.0.0.1:8080".parse().unwrap()));
    let level = |ip: &str| cfg.http.level_for(ip.parse().unwrap());
    assert_eq!(level("127.0.0.1"), config::HttpLevel::Admin);
    assert_eq!(level("10.1.2.3"), config::HttpLevel::Monitor);
    assert_eq!(level("192.0.2.1"), config::HttpLevel::None);
    assert_eq!(cfg.smtp_listeners.len(), 2);
    assert_eq!(
        cfg.spool_dirs,
        [std::path::PathBuf::from("/var/spool/pmta")]
    );
    assert_eq!(cfg.pool("pool1").unwrap().members, ["mta1", "mta2"]);
    let mta1 = cfg.vmta("mta1").unwrap();
    assert_eq!(
        mta1.source_hosts[0].host_name.as_deref(),
        Some("mta1.example.com")
    );
    assert_eq!(
        cfg.dkim_key("mta1", "example.com").unwrap().algorithm,
        KeyAlgorithm::Rsa
    );
    let gmail = cfg.queue("gmail.com", "mta1");
    assert_eq!(gmail.max_msg_rate.unwrap().count, 500);
    assert!(gmail.dkim_sign);
    assert_eq!(gmail.smtp_pattern_list.as_deref(), Some("blocking-errors"));
    assert_eq!(
        gmail.backoff_max_msg_rate.unwrap().per,
        Duration::from_secs(60)
    );
    assert_eq!(
        gmail.backoff_to_normal_after,
        Some(Duration::from_secs(3600))
    );
    assert_eq!(gmail.tls, TlsMode::Optional);
    assert_eq!(cfg.queue("gmail.com", "mta2").max_msg_rate, None);
    assert_eq!(cfg.queue("gmail.com", DEFAULT_VMTA).max_smtp_out, 20);
    let local = cfg.source("127.0.0.1".parse().unwrap());
    assert!(local.always_allow_relaying && local.process_x_virtual_mta && local.smtp_service);
    assert!(
        !cfg.source("192.0.2.1".parse().unwrap())
            .always_allow_relaying
    );
    assert_eq!(cfg.acct_files[0].max_size, Some(50 << 20));
    let list = cfg.smtp_pattern_list("blocking-errors").unwrap();
    assert!(list.matching("421 mx.example too many errors").is_some());
}

#[test]
fn dkim_keys_of_every_supported_form_load() {
    for (file, alg) in [
        ("rsa-pkcs1.pem", KeyAlgorithm::Rsa),
        ("rsa-pkcs8.pem", KeyAlgorithm::Rsa),
        ("ed25519.pem", KeyAlgorithm::Ed25519),
    ] {
        let cfg = load(&format!(
            "domain-key sel, Example.COM, {}\n",
            data(file).display()
        ))
        .config;
        let key = &cfg.domain_keys[0];
        assert_eq!(
            (key.algorithm, key.domain.as_str(), key.selector.as_str()),
            (alg, "example.com", "sel"),
            "{file}"
        );
        assert!(key.covers("mail.example.com") && !key.covers("badexample.com"));
        assert!(!key.der.is_empty() && key.pem.starts_with(b"-----BEGIN"));
        let _ = key.private_key_der();
    }
}

#[test]
fn generated_ed25519_key_loads() {
    let dir = tempfile::tempdir().unwrap();
    let pkcs8 = mail_auth_generate();
    let path = dir.path().join("gen.pem");
    std::fs::write(&path, pem("PRIVATE KEY", &pkcs8)).unwrap();
    let cfg = load(&format!(
        "<virtual-mta v>\ndomain-key s, *, {}\n</virtual-mta>\n",
        path.display()
    ))
    .config;
    assert_eq!(
        cfg.dkim_key("v", "any.example").unwrap().algorithm,
        KeyAlgorithm::Ed25519
    );
}

#[test]
fn unusable_key_files_are_errors_at_the_file_name() {
    for (file, part) in [
        ("ec.pem", "not an RSA or Ed25519 private key"),
        ("cert.pem", "holds no PEM private key"),
        ("../directives.rs", "holds no PEM private key"),
    ] {
        let path = data(file);
        let text = format!("domain-key s1, example.com, {}\n", path.display());
        assert_one_error(&text, 1, 29, part);
    }
    assert_one_error(
        "domain-key s1, example.com\n",
        1,
        12,
        "expected SELECTOR, DOMAIN, KEYFILE",
    );
    assert_one_error(
        "domain-key s1, bad domain!, x.pem\n",
        1,
        16,
        "not a domain name",
    );
}

/// A fresh Ed25519 PKCS#8 key from ring (through mail-auth).
fn mail_auth_generate() -> Vec<u8> {
    mail_auth::common::crypto::Ed25519Key::generate_pkcs8().expect("generate key")
}

/// PEM-encodes DER (base64, 64-column lines).
fn pem(label: &str, der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            let c = if i <= chunk.len() {
                B64[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            };
            b64.push(c);
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
