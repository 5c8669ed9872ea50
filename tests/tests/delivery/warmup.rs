//! IP warm-up end to end: a cold virtual MTA sends exactly its daily allowance, the warm one
//! the rest, counted by source address at the sink, and the count survives a restart.

use super::harness::*;
use super::limits::{ctl_json, via};
use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::SmtpSink;

const WARM: &str = "127.0.0.181";
const COLD: &str = "127.0.0.182";

fn by_source(sink: &pmta_tests::sink::SmtpSink, ip: &str) -> usize {
    sink.messages()
        .iter()
        .filter(|m| m.peer.ip().to_string() == ip)
        .count()
}

#[tokio::test]
async fn a_cold_vmta_sends_its_daily_allowance_then_the_warm_one_carries_the_rest() {
    let sink = sink_on("127.0.0.180", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("warm.test", "127.0.0.180")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &format!(
            "<virtual-mta warm>\n  smtp-source-host {WARM} pmtad.test\n  cold-virtual-mta cold\n</virtual-mta>\n\
             <virtual-mta cold>\n  smtp-source-host {COLD} pmtad.test\n</virtual-mta>\n\
             <domain warm.test>\n  max-cold-virtual-mta-msg 3/day,10/day\n</domain>\n"
        );
    let mut world = World::start(&cfg);
    let batch = |from: u64, n: u64| -> Vec<_> {
        (from..from + n)
            .map(|i| via("warm", &format!("r{i}@warm.test"), i))
            .collect()
    };
    world.inject(&batch(0, 5)).await;
    sink.wait_for_messages(5, WAIT).await.expect("5 delivered");
    assert_eq!(
        by_source(&sink, COLD),
        3,
        "the day's allowance through the cold VMTA"
    );
    assert_eq!(by_source(&sink, WARM), 2, "the rest through the warm one");
    let v = ctl_json(&world, &["show", "vmtas"]);
    let cold = v["vmtas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "cold")
        .cloned()
        .unwrap_or_default();
    assert_eq!(cold["warmup"]["used_today"], 3, "{v:#}");
    assert_eq!(cold["warmup"]["day_of_use"], 1, "{v:#}");
    let text = world.pmtad.pmtactl(&["show", "vmtas"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("day 1, 3 today"),
        "{text:?}"
    );
    // A restart keeps the day's count: no new allowance.
    world.pmtad.stop();
    world.pmtad = Pmtad::start(world.dir.path(), &cfg).expect("restart");
    world.inject(&batch(5, 2)).await;
    sink.wait_for_messages(7, WAIT).await.expect("7 delivered");
    assert_eq!(by_source(&sink, COLD), 3, "{:?}", sink.messages().len());
    assert_eq!(by_source(&sink, WARM), 4);
}

/// A message counted for the cold virtual MTA and still queued at a restart: after the
/// restart the day's allowance stays used (read from the spool directory), so the message
/// goes out through the warm virtual MTA, as does new mail; the cold one never sends more
/// than its allowance.
#[tokio::test]
async fn mail_queued_on_the_cold_vmta_at_a_restart_goes_out_warm_once_the_allowance_is_used() {
    let sink = sink_on("127.0.0.183", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("held.test", "127.0.0.183")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &format!(
            "<virtual-mta warm>\n  smtp-source-host {WARM} pmtad.test\n  cold-virtual-mta cold\n</virtual-mta>\n\
             <virtual-mta cold>\n  smtp-source-host {COLD} pmtad.test\n</virtual-mta>\n\
             <domain held.test>\n  max-cold-virtual-mta-msg 2/day\n</domain>\n"
        );
    let mut world = World::start(&cfg);
    // The cold queue holds its mail: what it was given is still queued at the restart.
    let out = world.pmtad.pmtactl(&["pause", "queue", "held.test/cold"]);
    assert!(out.status.success(), "{out:?}");
    let batch = |from: u64, n: u64| -> Vec<_> {
        (from..from + n)
            .map(|i| via("warm", &format!("r{i}@held.test"), i))
            .collect()
    };
    world.inject(&batch(0, 3)).await;
    sink.wait_for_messages(1, WAIT).await.expect("1 delivered");
    assert_eq!(by_source(&sink, WARM), 1, "over the allowance: warm");
    let queued = |world: &World, vmta: &str| -> u64 {
        let v = ctl_json(world, &["show", "queues"]);
        let rows = v["queues"].as_array().cloned().unwrap_or_default();
        rows.iter()
            .filter(|q| q["domain"] == "held.test" && q["vmta"] == vmta)
            .map(|q| q["rcpts"].as_u64().unwrap_or(0))
            .sum()
    };
    assert_eq!(
        queued(&world, "cold"),
        2,
        "the allowance, held on the cold queue"
    );
    world.pmtad.stop();
    world.pmtad = Pmtad::start(world.dir.path(), &cfg).expect("restart");
    // The day's allowance is used: the two recovered messages and a new one go warm.
    sink.wait_for_messages(3, WAIT)
        .await
        .expect("recovered mail delivered");
    world.inject(&batch(3, 1)).await;
    sink.wait_for_messages(4, WAIT).await.expect("4 delivered");
    assert_eq!(by_source(&sink, WARM), 4);
    assert_eq!(
        by_source(&sink, COLD),
        0,
        "the cold VMTA took nothing past its allowance"
    );
    assert_eq!(queued(&world, "cold"), 0);
    let v = ctl_json(&world, &["show", "vmtas"]);
    let cold = v["vmtas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "cold")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        cold["warmup"]["used_today"], 2,
        "counted once, across the restart: {v:#}"
    );
}
