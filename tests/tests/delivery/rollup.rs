//! MX rollup and queue-to end to end: domains hosted on the same MX hosts share one queue
//! and its limits (connections counted at the sink), the queue shows under the rollup name
//! in listings, accounting and `domain detail`, and a DNS change moves pending recipients
//! out of the rollup without losing any.

use std::collections::HashSet;

use super::harness::*;
use super::limits::{ctl_json, ctl_until};
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::{Phase, SmtpSink, reply};

const ROLLUP: &str = "<mx-rollup-list>\n  mx mx1.provider.test provider.rollup\n  mx mx2.provider.test provider.rollup\n</mx-rollup-list>\n";

fn provider_dns(domains: &[&str], ip: &str) -> pmta_tests::dns::TestDnsBuilder {
    let mut b = TestDns::builder()
        .a("mx1.provider.test", ip)
        .a("mx2.provider.test", ip);
    for d in domains {
        b = b
            .mx(d, 10, "mx1.provider.test")
            .mx(d, 10, "mx2.provider.test");
    }
    b
}

#[tokio::test]
async fn domains_on_the_same_mx_hosts_share_one_rollup_queue_and_its_max_smtp_out() {
    let sink = sink_on("127.0.0.170", SmtpSink::builder()).await;
    let members = ["a.hosted.test", "b.hosted.test", "c.elsewhere.test"];
    let dns = provider_dns(&members, "127.0.0.170")
        .mx("solo.test", 10, "mx1.provider.test")
        .start()
        .await
        .unwrap();
    // Each member alone would be allowed 20 connections (the default); the rollup 2.
    let cfg = base_config(&dns, sink.addr().port())
        + ROLLUP
        + "<domain provider.rollup>\n  max-smtp-out 2\n  max-msg-per-connection 4\n</domain>\n";
    let world = World::start(&cfg);
    let msgs: Vec<_> = (0..90)
        .map(|i| msg("", &[&format!("r{i}@{}", members[i % 3])], i as u64))
        .collect();
    world.inject(&msgs).await;
    sink.wait_for_messages(90, WAIT)
        .await
        .expect("all 90 delivered");
    assert!(
        sink.max_concurrent(sink.addr()) <= 2,
        "max-smtp-out of the rollup held across its domains: {}",
        sink.max_concurrent(sink.addr())
    );
    // A domain with only one of the rollup's MX hosts stays in its own queue.
    world.inject(&[msg("", &["x@solo.test"], 91)]).await;
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 91).await;
    let acct = world.acct();
    let queues: HashSet<&str> = acct
        .iter()
        .filter(|r| r["type"] == "d" && !r["rcpt"].ends_with("@solo.test"))
        .map(|r| r["queue"].as_str())
        .collect();
    assert_eq!(queues, HashSet::from(["provider.rollup/{default}"]));
    let solo = acct
        .iter()
        .find(|r| r["type"] == "d" && r["rcpt"] == "x@solo.test")
        .unwrap();
    assert_eq!(solo["queue"], "solo.test/{default}");
    let d = ctl_json(&world, &["domain", "detail", "b.hosted.test"]);
    assert_eq!(d["rollup"], "provider.rollup", "{d:#}");
    assert_eq!(d["queues"][0]["domain"], "provider.rollup", "{d:#}");
    let r = ctl_json(&world, &["domain", "detail", "provider.rollup"]);
    assert_eq!(
        r["members"],
        serde_json::json!(members_sorted(&members)),
        "{r:#}"
    );
    let text = world.pmtad.pmtactl(&["domain", "detail", "a.hosted.test"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("MX rollup: queued in provider.rollup"),
        "{text:?}"
    );
    let q = ctl_json(&world, &["show", "queues"]);
    assert!(q.to_string().contains("\"provider.rollup\""), "{q:#}");
}

fn members_sorted(m: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = m.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_dns_change_moves_pending_recipients_out_of_the_rollup_losing_none() {
    let provider = sink_on(
        "127.0.0.171",
        SmtpSink::builder().on(Phase::Rcpt, reply(451, "4.7.1 try later")),
    )
    .await;
    let port = provider.addr().port();
    let own = SmtpSink::builder()
        .listen(format!("127.0.0.172:{port}").parse().unwrap())
        .start()
        .await
        .expect("same port on 127.0.0.172");
    let dns1 = provider_dns(&["move.test"], "127.0.0.171")
        .start()
        .await
        .unwrap();
    let dns2 = TestDns::builder()
        .mx("move.test", 10, "mx.move.test")
        .a("mx.move.test", "127.0.0.172")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns1, port) + ROLLUP;
    let world = World::start(&cfg);
    let rcpts: Vec<String> = (0..6).map(|i| format!("m{i}@move.test")).collect();
    let msgs: Vec<_> = rcpts
        .iter()
        .enumerate()
        .map(|(i, r)| msg("", &[r.as_str()], i as u64))
        .collect();
    world.inject(&msgs).await;
    wait_for(|| {
        let acct = world.acct();
        rcpts.iter().all(|r| {
            acct.iter().any(|x| {
                x["type"] == "t" && x["rcpt"] == *r && x["queue"] == "provider.rollup/{default}"
            })
        })
    })
    .await;
    ctl_until(&world, &["domain", "detail", "move.test"], |v| {
        v["rollup"] == "provider.rollup"
    })
    .await;
    // The domain moves to its own MX host: new name server, same config otherwise.
    let cfg2 = cfg.replace(&dns1.addr().to_string(), &dns2.addr().to_string());
    std::fs::write(&world.pmtad.config, cfg2).unwrap();
    let out = world.pmtad.pmtactl(&["reload"]);
    assert!(out.status.success(), "{out:?}");
    own.wait_for_rcpts(6, WAIT)
        .await
        .expect("every recipient delivered");
    let got: HashSet<String> = own.messages().into_iter().flat_map(|m| m.rcpts).collect();
    assert_eq!(got, rcpts.iter().cloned().collect::<HashSet<_>>());
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 6).await;
    let acct = world.acct();
    assert!(
        acct.iter()
            .filter(|r| r["type"] == "d")
            .all(|r| r["queue"] == "move.test/{default}"),
        "{acct:?}"
    );
    assert_eq!(acct.iter().filter(|r| r["type"] == "b").count(), 0);
    let d = ctl_json(&world, &["domain", "detail", "move.test"]);
    assert!(d["rollup"].is_null(), "{d:#}");
}

#[tokio::test]
async fn queue_to_merges_domains_by_name_under_one_policy() {
    let sink = sink_on("127.0.0.173", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("q1.test", "127.0.0.173")
        .a("q2.test", "127.0.0.173")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain q1.test>\n  queue-to merged.queue\n</domain>\n\
           <domain q2.test>\n  queue-to merged.queue\n</domain>\n\
           <domain merged.queue>\n  max-smtp-out 1\n  max-msg-per-connection 5\n</domain>\n";
    let world = World::start(&cfg);
    let msgs: Vec<_> = (0..30)
        .map(|i| msg("", &[&format!("r{i}@q{}.test", 1 + i % 2)], i as u64))
        .collect();
    world.inject(&msgs).await;
    sink.wait_for_messages(30, WAIT)
        .await
        .expect("all delivered");
    assert!(sink.max_concurrent(sink.addr()) <= 1);
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 30).await;
    assert!(
        world
            .acct()
            .iter()
            .filter(|r| r["type"] == "d")
            .all(|r| r["queue"] == "merged.queue/{default}")
    );
}
