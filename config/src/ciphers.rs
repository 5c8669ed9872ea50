//! `smtp-server-tls-ciphers` (TLS 1.2, an OpenSSL cipher string) and
//! `smtp-server-tls-v1.3-ciphersuites` (TLS 1.3, OpenSSL's colon list): mapped onto the
//! suites pmtad's TLS stack (rustls with ring) implements.
//!
//! Those are ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 and the three
//! AEAD suites of TLS 1.3. A cipher string is read as OpenSSL reads it: items separated by
//! `:`, `,` or spaces; an item is a cipher name (OpenSSL's `ECDHE-RSA-AES128-GCM-SHA256` or
//! the IANA `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`) or a keyword (`HIGH`, `ECDHE`,
//! `AESGCM`, `aRSA`, …), `A+B` is the suites in both, a leading `!` removes for good, `-`
//! removes, `+` moves to the end, `@STRENGTH` and `@SECLEVEL=N` are accepted. Real OpenSSL
//! names of suites rustls does not implement (`DHE-RSA-AES256-SHA`, `RC4`, `aNULL`, …)
//! select nothing, and a positive one is reported in a warning; any other word is an error.

use serde::Serialize;

use crate::values::{VResult, bad};

/// A cipher suite pmtad can negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CipherSuite {
    EcdheEcdsaAes128Gcm,
    EcdheEcdsaAes256Gcm,
    EcdheEcdsaChacha20,
    EcdheRsaAes128Gcm,
    EcdheRsaAes256Gcm,
    EcdheRsaChacha20,
    Tls13Aes128Gcm,
    Tls13Aes256Gcm,
    Tls13Chacha20,
}

use CipherSuite as S;

/// TLS 1.2 suites: (suite, OpenSSL name, IANA name), in rustls's order of preference.
const TLS12: [(CipherSuite, &str, &str); 6] = [
    (
        S::EcdheEcdsaAes256Gcm,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        S::EcdheEcdsaAes128Gcm,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        S::EcdheEcdsaChacha20,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        S::EcdheRsaAes256Gcm,
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        S::EcdheRsaAes128Gcm,
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        S::EcdheRsaChacha20,
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
];

/// TLS 1.3 suites by their (OpenSSL = IANA) names.
const TLS13: [(CipherSuite, &str); 3] = [
    (S::Tls13Aes256Gcm, "TLS_AES_256_GCM_SHA384"),
    (S::Tls13Aes128Gcm, "TLS_AES_128_GCM_SHA256"),
    (S::Tls13Chacha20, "TLS_CHACHA20_POLY1305_SHA256"),
];

/// Real TLS 1.3 suites rustls does not implement.
const TLS13_ABSENT: [&str; 2] = ["TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"];

/// A set of [`TLS12`] suites, bit `i` for `TLS12[i]`.
type Mask = u8;
const ALL: Mask = 0b11_1111;
const ECDSA: Mask = 0b00_0111;
const RSA: Mask = 0b11_1000;
const AES256: Mask = 0b00_1001;
const AES128: Mask = 0b01_0010;
const CHACHA: Mask = 0b10_0100;

/// OpenSSL keywords and the suites of ours they stand for (0: none of ours).
const KEYWORDS: &[(&str, Mask)] = &[
    ("ALL", ALL),
    ("DEFAULT", ALL),
    ("HIGH", ALL),
    ("TLSv1.2", ALL),
    ("ECDHE", ALL),
    ("EECDH", ALL),
    ("kEECDH", ALL),
    ("kECDHE", ALL),
    ("ECDH", ALL),
    ("kECDH", ALL),
    ("aECDSA", ECDSA),
    ("ECDSA", ECDSA),
    ("aRSA", RSA),
    ("AES", AES128 | AES256),
    ("AESGCM", AES128 | AES256),
    ("FIPS", AES128 | AES256),
    ("AES128", AES128),
    ("AES256", AES256),
    ("CHACHA20", CHACHA),
    ("SHA256", AES128 | CHACHA),
    ("SHA384", AES256),
    ("SUITEB128", ECDSA & (AES128 | AES256)),
    ("SUITEB128ONLY", ECDSA & AES128),
    ("SUITEB192", ECDSA & AES256),
    ("COMPLEMENTOFALL", 0),
    ("COMPLEMENTOFDEFAULT", 0),
    ("MEDIUM", 0),
    ("LOW", 0),
    ("EXP", 0),
    ("EXPORT", 0),
    ("EXPORT40", 0),
    ("EXPORT56", 0),
    ("eNULL", 0),
    ("NULL", 0),
    ("aNULL", 0),
    ("kRSA", 0),
    ("RSA", 0),
    ("kDHr", 0),
    ("kDHd", 0),
    ("kDH", 0),
    ("kDHE", 0),
    ("kEDH", 0),
    ("DH", 0),
    ("DHE", 0),
    ("EDH", 0),
    ("ADH", 0),
    ("AECDH", 0),
    ("aECDH", 0),
    ("aDSS", 0),
    ("DSS", 0),
    ("aDH", 0),
    ("aGOST", 0),
    ("aGOST01", 0),
    ("kGOST", 0),
    ("GOST94", 0),
    ("GOST89MAC", 0),
    ("PSK", 0),
    ("kPSK", 0),
    ("kECDHEPSK", 0),
    ("kDHEPSK", 0),
    ("kRSAPSK", 0),
    ("aPSK", 0),
    ("SRP", 0),
    ("kSRP", 0),
    ("aSRP", 0),
    ("3DES", 0),
    ("DES", 0),
    ("RC4", 0),
    ("RC2", 0),
    ("IDEA", 0),
    ("SEED", 0),
    ("MD5", 0),
    ("SHA1", 0),
    ("SHA", 0),
    ("CAMELLIA", 0),
    ("CAMELLIA128", 0),
    ("CAMELLIA256", 0),
    ("ARIA", 0),
    ("ARIA128", 0),
    ("ARIA256", 0),
    ("ARIAGCM", 0),
    ("AESCCM", 0),
    ("AESCCM8", 0),
    ("SSLv3", 0),
    ("SSLv2", 0),
    ("TLSv1", 0),
    ("TLSv1.0", 0),
];

/// The words of OpenSSL cipher names (`DHE-RSA-AES256-SHA`, `EDH-DSS-DES-CBC3-SHA`, …).
const NAME_PARTS: &[&str] = &[
    "ECDHE",
    "ECDH",
    "DHE",
    "EDH",
    "ADH",
    "AECDH",
    "DH",
    "RSA",
    "ECDSA",
    "DSS",
    "PSK",
    "SRP",
    "AES128",
    "AES256",
    "AES",
    "GCM",
    "CCM",
    "CCM8",
    "SHA",
    "SHA256",
    "SHA384",
    "CBC3",
    "DES",
    "CBC",
    "RC4",
    "RC2",
    "MD5",
    "CAMELLIA128",
    "CAMELLIA256",
    "SEED",
    "IDEA",
    "CHACHA20",
    "POLY1305",
    "NULL",
    "EXP",
    "EXP1024",
    "ARIA128",
    "ARIA256",
    "ANON",
    "KRB5",
    "CBC40",
    "GOST94",
    "GOST89",
    "GOST2001",
    "GOST2012",
    "GOST89MAC",
    "CNT",
    "RSAPSK",
    "DHEPSK",
    "ECDHEPSK",
    "3DES",
    "EDE",
];

/// What a cipher string selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CipherList {
    pub suites: Vec<CipherSuite>,
    /// Named suites pmtad does not implement (left out; worth a warning).
    pub absent: Vec<String>,
}

/// A real OpenSSL cipher name (or an IANA one) of a suite rustls does not have.
fn is_absent_name(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    if upper.starts_with("TLS_") || upper.starts_with("SSL_") {
        return upper[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    }
    let parts: Vec<&str> = upper.split('-').collect();
    parts.len() > 1 && parts.iter().all(|p| NAME_PARTS.contains(p))
}

/// The suites one word (no operators) stands for; `None` for an unknown word.
fn word_mask(word: &str) -> Option<(Mask, bool)> {
    let named = TLS12
        .iter()
        .position(|(_, o, i)| o.eq_ignore_ascii_case(word) || i.eq_ignore_ascii_case(word));
    if let Some(i) = named {
        return Some((1 << i, false));
    }
    if let Some((_, m)) = KEYWORDS.iter().find(|(k, _)| *k == word) {
        return Some((*m, false));
    }
    is_absent_name(word).then_some((0, true))
}

/// Items of a list with their byte offsets.
fn items(value: &str) -> impl Iterator<Item = (usize, &str)> {
    value
        .split([':', ',', ' ', '\t'])
        .scan(0, |at, item| {
            let start = *at;
            *at += item.len() + 1;
            Some((start, item))
        })
        .filter(|(_, item)| !item.is_empty())
}

/// Parses a TLS 1.2 cipher string (see the module text).
pub(crate) fn parse_tls12(value: &str) -> VResult<CipherList> {
    let (mut order, mut banned, mut absent) = (Vec::<usize>::new(), 0 as Mask, Vec::new());
    for (at, item) in items(value) {
        if let Some(rest) = item.strip_prefix('@') {
            let known = rest == "STRENGTH"
                || rest
                    .strip_prefix("SECLEVEL=")
                    .is_some_and(|n| n.parse::<u8>().is_ok());
            if !known {
                return bad(
                    at,
                    format!("'{item}': only @STRENGTH and @SECLEVEL=N are known"),
                );
            }
            continue;
        }
        let (op, body, skip) = match item.as_bytes()[0] {
            c @ (b'!' | b'-' | b'+') => (c, &item[1..], 1),
            _ => (0, item, 0),
        };
        let mut mask = ALL;
        let mut off = at + skip;
        let mut unavailable = false;
        for word in body.split('+') {
            let Some((m, gone)) = word_mask(word) else {
                return bad(
                    off,
                    format!("'{word}' is not an OpenSSL cipher name or keyword pmtad knows"),
                );
            };
            mask &= m;
            unavailable |= gone;
            off += word.len() + 1;
        }
        match op {
            b'!' => {
                banned |= mask;
                order.retain(|i| mask & (1 << i) == 0);
            }
            b'-' => order.retain(|i| mask & (1 << i) == 0),
            b'+' => {
                let (moved, kept): (Vec<usize>, Vec<usize>) =
                    order.iter().partition(|&&i| mask & (1 << i) != 0);
                order = kept.into_iter().chain(moved).collect();
            }
            _ => {
                if unavailable && mask == 0 {
                    absent.push(item.to_string());
                }
                for i in (0..TLS12.len()).filter(|i| mask & !banned & (1 << i) != 0) {
                    if !order.contains(&i) {
                        order.push(i);
                    }
                }
            }
        }
    }
    if order.is_empty() {
        return bad(
            0,
            format!(
                "selects none of the TLS 1.2 suites pmtad implements ({})",
                names12()
            ),
        );
    }
    Ok(CipherList {
        suites: order.iter().map(|&i| TLS12[i].0).collect(),
        absent,
    })
}

fn names12() -> String {
    TLS12
        .iter()
        .map(|(_, o, _)| *o)
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses a TLS 1.3 suite list (`TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256`).
pub(crate) fn parse_tls13(value: &str) -> VResult<CipherList> {
    let (mut suites, mut absent) = (Vec::new(), Vec::new());
    for (at, item) in items(value) {
        match TLS13.iter().find(|(_, n)| n.eq_ignore_ascii_case(item)) {
            Some((s, _)) if !suites.contains(s) => suites.push(*s),
            Some(_) => {}
            None if TLS13_ABSENT.iter().any(|n| n.eq_ignore_ascii_case(item)) => {
                absent.push(item.to_string())
            }
            None => {
                let known: Vec<&str> = TLS13.iter().map(|(_, n)| *n).collect();
                return bad(
                    at,
                    format!("'{item}' is not a TLS 1.3 suite ({})", known.join(", ")),
                );
            }
        }
    }
    if suites.is_empty() {
        return bad(0, "selects none of the TLS 1.3 suites pmtad implements");
    }
    Ok(CipherList { suites, absent })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_strings_select_our_suites() {
        let l = parse_tls12("HIGH:!aNULL:!MD5:@STRENGTH").unwrap();
        assert_eq!(l.suites.len(), 6);
        assert!(l.absent.is_empty());
        let l = parse_tls12("EECDH+AESGCM:EDH+AESGCM").unwrap();
        assert_eq!(l.suites.len(), 4);
        let l = parse_tls12(
            "ECDHE-RSA-CHACHA20-POLY1305,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 DHE-RSA-AES256-SHA",
        )
        .unwrap();
        assert_eq!(l.suites, [S::EcdheRsaChacha20, S::EcdheRsaAes128Gcm]);
        assert_eq!(l.absent, ["DHE-RSA-AES256-SHA"]);
        let l = parse_tls12("ALL:-aECDSA:+CHACHA20").unwrap();
        assert_eq!(
            l.suites,
            [
                S::EcdheRsaAes256Gcm,
                S::EcdheRsaAes128Gcm,
                S::EcdheRsaChacha20
            ]
        );
        let l = parse_tls12("aRSA:!CHACHA20:CHACHA20").unwrap();
        assert_eq!(l.suites, [S::EcdheRsaAes256Gcm, S::EcdheRsaAes128Gcm]);
    }

    #[test]
    fn unknown_words_and_empty_selections_are_errors() {
        let e = parse_tls12("HIGH:ECDHE-RSA-AES128-GCM-SHA265").unwrap_err();
        assert_eq!(e.at, 5);
        assert!(e.msg.contains("'ECDHE-RSA-AES128-GCM-SHA265'"), "{}", e.msg);
        let e = parse_tls12("ECDHE+Bogus").unwrap_err();
        assert_eq!(e.at, 6);
        assert!(
            parse_tls12("RC4:3DES")
                .unwrap_err()
                .msg
                .contains("none of the TLS 1.2")
        );
        assert!(parse_tls12("HIGH:@FAST").is_err());
        let l = parse_tls13("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256").unwrap();
        assert_eq!(
            (l.suites, l.absent),
            (
                vec![S::Tls13Chacha20],
                vec!["TLS_AES_128_CCM_SHA256".to_string()]
            )
        );
        assert_eq!(
            parse_tls13("TLS_AES_128_GCM_SHA256:AES").unwrap_err().at,
            23
        );
    }
}
