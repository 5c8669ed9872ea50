//! The resolver against a real DNS server started by the test (UDP and TCP on loopback).

use super::*;
use crate::outcome::Outcome;
use pmta_tests::TestDns;

async fn dns() -> TestDns {
    TestDns::builder()
        .mx("gmail.com", 10, "mx1.gmail.com")
        .mx("gmail.com", 20, "mx2.gmail.com")
        .a("mx1.gmail.com", "127.0.0.2")
        .a("mx2.gmail.com", "127.0.0.3")
        .aaaa("mx2.gmail.com", "::1")
        .a("nomx.test", "127.0.0.4")
        .null_mx("nullmx.test")
        .txt("textonly.test", "v=spf1 -all")
        .servfail("broken.test")
        .start()
        .await
        .unwrap()
}

fn resolver(dns: &TestDns) -> Resolver {
    Resolver::new(&[dns.addr()]).unwrap()
}

#[tokio::test]
async fn mx_sorted_with_addresses() {
    let dns = dns().await;
    let r = resolver(&dns);
    let t = r.mx_targets("gmail.com").await.unwrap();
    let hosts: Vec<_> = t
        .iter()
        .map(|t| (t.host.as_str(), t.preference, t.implicit))
        .collect();
    assert_eq!(
        hosts,
        [("mx1.gmail.com", 10, false), ("mx2.gmail.com", 20, false)]
    );
    assert_eq!(
        r.addresses("mx1.gmail.com").await.unwrap(),
        ["127.0.0.2".parse::<IpAddr>().unwrap()]
    );
    let mut two = r.addresses("mx2.gmail.com").await.unwrap();
    two.sort();
    assert_eq!(
        two,
        [
            "127.0.0.3".parse::<IpAddr>().unwrap(),
            "::1".parse().unwrap()
        ]
    );
}

#[tokio::test]
async fn no_mx_means_implicit_mx() {
    let dns = dns().await;
    let t = resolver(&dns).mx_targets("nomx.test").await.unwrap();
    assert_eq!(
        t,
        [MxTarget {
            host: "nomx.test".into(),
            preference: 0,
            implicit: true
        }]
    );
}

#[tokio::test]
async fn null_mx_and_nxdomain_are_permanent() {
    let dns = dns().await;
    let r = resolver(&dns);
    let null = r.mx_targets("nullmx.test").await.unwrap_err();
    assert_eq!(null, DnsFailure::NullMx("nullmx.test".into()));
    assert!(matches!(null.outcome(), Outcome::Permanent { .. }));
    let nx = r.mx_targets("nxdomain.test").await.unwrap_err();
    assert_eq!(nx, DnsFailure::NxDomain("nxdomain.test".into()));
    assert_eq!(nx.reply().code, 550);
    assert_eq!(nx.reply().enhanced.as_deref(), Some("5.1.2"));
    let none = r.mx_targets("textonly.test").await.unwrap_err();
    assert_eq!(none, DnsFailure::NoAddress("textonly.test".into()));
}

#[tokio::test]
async fn servfail_and_dead_server_are_temporary() {
    let dns = dns().await;
    let err = resolver(&dns).mx_targets("broken.test").await.unwrap_err();
    assert!(matches!(err, DnsFailure::Temporary { .. }), "{err:?}");
    let reply = err.reply();
    assert_eq!(
        (reply.code, reply.enhanced.as_deref()),
        (451, Some("4.4.3"))
    );
    assert!(matches!(err.outcome(), Outcome::Transient { .. }));

    // Nothing listens on this UDP port (we hold it bound but never read).
    let hole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let r =
        Resolver::with_timeout(&[hole.local_addr().unwrap()], Duration::from_millis(200)).unwrap();
    let err = r.mx_targets("gmail.com").await.unwrap_err();
    assert!(matches!(err, DnsFailure::Temporary { .. }), "{err:?}");
}

#[tokio::test]
async fn answers_are_cached_but_failures_are_not() {
    let dns = dns().await;
    let r = resolver(&dns);
    r.mx_targets("gmail.com").await.unwrap();
    r.mx_targets("gmail.com").await.unwrap();
    assert_eq!(
        dns.queries("gmail.com"),
        1,
        "second MX lookup must come from the cache"
    );
    r.mx_targets("broken.test").await.unwrap_err();
    r.mx_targets("broken.test").await.unwrap_err();
    assert!(
        dns.queries("broken.test") >= 2,
        "SERVFAIL must not be cached"
    );
    r.clear_cache();
    r.mx_targets("gmail.com").await.unwrap();
    assert_eq!(dns.queries("gmail.com"), 2);
}

#[tokio::test]
async fn reverse_dns_is_forward_confirmed() {
    // hickory applies RFC 6761 to loopback: every 127.0.0.0/8 and ::1 PTR is `localhost`,
    // which resolves to 127.0.0.1 and ::1 only, without asking the server.
    let dns = dns().await;
    let r = resolver(&dns);
    assert!(
        r.rdns_confirmed("127.0.0.1".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(r.rdns_confirmed("::1".parse().unwrap()).await.unwrap());
    assert!(
        !r.rdns_confirmed("127.0.0.6".parse().unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn literals_and_invalid_names() {
    let dns = dns().await;
    let r = resolver(&dns);
    assert_eq!(
        r.addresses("[127.0.0.9]").await.unwrap(),
        ["127.0.0.9".parse::<IpAddr>().unwrap()]
    );
    assert!(matches!(
        r.mx_targets("").await,
        Err(DnsFailure::InvalidName(_))
    ));
}
