//! Jobs end to end: a campaign injected with `X-Job: c42` shows in `show jobs`, in every
//! accounting row's jobId and in its bounces; `delete --job=c42` removes only its
//! recipients, each with a `b` record; `pause job` holds a job's mail until `resume job`.

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::inject::Message;
use pmta_tests::output::{expect_code, json, stdout};

/// A message with `X-Job: JOB` (or none) in its header.
fn job_msg(job: Option<&str>, rcpts: &[&str], n: u64) -> Message {
    let mut m = msg("feeder@src.test", rcpts, n);
    if let Some(job) = job {
        let mut data = format!("X-Job: {job}\r\n").into_bytes();
        data.extend_from_slice(&m.data);
        m.data = data;
    }
    m
}

fn job<'a>(jobs: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == name)
        .unwrap_or_else(|| panic!("no job {name} in {jobs}"))
}

#[tokio::test]
async fn a_campaign_is_shown_accounted_and_deleted_by_job() {
    let (sink, _dns, world) =
        sink_world(&["gmail.test", "hold.test"], "  process-x-job yes\n", "").await;
    let ctl = |args: &[&str]| world.pmtad.pmtactl(args);
    expect_code(&ctl(&["pause", "queue", "hold.test/*"]), 0);
    let replies = world
        .inject(&[
            job_msg(Some("c42"), &["a@gmail.test"], 1),
            job_msg(Some("c42"), &["x@hold.test", "y@hold.test"], 2),
            job_msg(Some("c43"), &["z@hold.test"], 3),
            job_msg(None, &["w@hold.test"], 4),
            job_msg(Some("bad job"), &["v@hold.test"], 5),
        ])
        .await;
    let codes: Vec<u16> = replies.iter().map(|r| r.code).collect();
    assert_eq!(codes, [250, 250, 250, 250, 550], "{replies:?}");
    sink.wait_for_messages(1, WAIT)
        .await
        .expect("c42's first message");
    assert!(!String::from_utf8_lossy(&sink.messages()[0].data).contains("X-Job"));

    wait_for(|| {
        let jobs = json(&ctl(&["show", "jobs", "--json"]));
        job(&jobs, "c42")["delivered"] == 1
    })
    .await;
    let jobs = json(&ctl(&["show", "jobs", "--json"]));
    let c42 = job(&jobs, "c42");
    assert_eq!(
        (c42["queued"].as_u64(), c42["bounced"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(
        c42["first_seen"].is_string() && c42["paused"] == false,
        "{c42}"
    );
    assert_eq!(job(&jobs, "c43")["queued"], 1);
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 2, "{jobs}");
    let table = stdout(&ctl(&["show", "jobs"]));
    assert!(
        table.contains("c42") && table.contains("Total of 2 job(s)."),
        "{table}"
    );
    assert_eq!(json(&ctl(&["show", "job", "c43", "--json"]))["queued"], 1);
    expect_code(&ctl(&["show", "job", "nope"]), 1);

    let out = ctl(&["delete", "--job=c42"]);
    expect_code(&out, 0);
    assert!(
        stdout(&out).contains("2 recipient(s) of job c42 deleted."),
        "{}",
        stdout(&out)
    );
    let left = json(&ctl(&["list", "--queue=hold.test/*", "--json"]));
    let mut rcpts: Vec<&str> = left["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rcpt"].as_str().unwrap())
        .collect();
    rcpts.sort();
    assert_eq!(rcpts, ["w@hold.test", "z@hold.test"]);
    let c42 = json(&ctl(&["show", "job", "c42", "--json"]));
    assert_eq!(
        (c42["queued"].as_u64(), c42["bounced"].as_u64()),
        (Some(0), Some(2))
    );

    wait_for(|| world.acct().iter().filter(|r| r["type"] == "b").count() == 2).await;
    let rows = world.acct();
    for r in &rows {
        let want = match r["rcpt"].as_str() {
            "a@gmail.test" | "x@hold.test" | "y@hold.test" => "c42",
            "z@hold.test" => "c43",
            _ => "",
        };
        assert_eq!(r["jobId"], want, "{r:?}");
    }
    let bounced: Vec<&str> = rows
        .iter()
        .filter(|r| r["type"] == "b")
        .map(|r| r["rcpt"].as_str())
        .collect();
    assert!(bounced.contains(&"x@hold.test") && bounced.contains(&"y@hold.test"));
    assert!(rows.iter().any(|r| r["type"] == "d" && r["jobId"] == "c42"));
}

#[tokio::test]
async fn a_paused_job_is_held_until_resumed() {
    let (sink, _dns, world) = sink_world(&["gmail.test"], "  process-x-job yes\n", "").await;
    let ctl = |args: &[&str]| world.pmtad.pmtactl(args);
    let out = ctl(&["pause", "job", "c44"]);
    expect_code(&out, 0);
    assert!(stdout(&out).contains("paused job c44"), "{}", stdout(&out));
    let r = world
        .inject(&[
            job_msg(Some("c44"), &["held@gmail.test"], 1),
            job_msg(Some("c45"), &["free@gmail.test"], 2),
        ])
        .await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    sink.wait_for_messages(1, WAIT).await.expect("c45 goes out");
    let c44 = json(&ctl(&["show", "job", "c44", "--json"]));
    assert_eq!(
        (c44["paused"].as_bool(), c44["queued"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(sink.messages()[0].rcpts, ["free@gmail.test"]);
    let out = ctl(&["resume", "job", "c44", "--json"]);
    expect_code(&out, 0);
    assert_eq!(json(&out)["messages"], 1);
    sink.wait_for_messages(2, WAIT)
        .await
        .expect("c44 once resumed");
    assert_eq!(sink.messages()[1].rcpts, ["held@gmail.test"]);
}

/// `pause job` survives a restart (as queue pauses do): the job's mail, recovered from
/// the spool, stays held while other mail goes out; `resume job` then delivers it.
#[tokio::test]
async fn a_job_pause_holds_across_a_restart() {
    let (sink, _dns, mut world) = sink_world(&["gmail.test"], "  process-x-job yes\n", "").await;
    expect_code(&world.pmtad.pmtactl(&["pause", "job", "c46"]), 0);
    let r = world
        .inject(&[job_msg(Some("c46"), &["held@gmail.test"], 1)])
        .await;
    assert_eq!(r[0].code, 250, "{r:?}");
    assert_eq!(world.pmtad.stop(), Some(0));
    world.pmtad = pmta_tests::daemon::Pmtad::start_file(world.dir.path(), &world.path("pmta.conf"))
        .expect("restart pmtad");
    let ctl = |args: &[&str]| world.pmtad.pmtactl(args);
    let c46 = json(&ctl(&["show", "job", "c46", "--json"]));
    assert_eq!(
        (c46["paused"].as_bool(), c46["queued"].as_u64()),
        (Some(true), Some(1)),
        "{c46}"
    );
    let r = world
        .inject(&[job_msg(Some("c47"), &["free@gmail.test"], 2)])
        .await;
    assert_eq!(r[0].code, 250, "{r:?}");
    sink.wait_for_messages(1, WAIT).await.expect("c47 goes out");
    assert_eq!(
        sink.messages()[0].rcpts,
        ["free@gmail.test"],
        "c46 still held"
    );
    let out = ctl(&["resume", "job", "c46", "--json"]);
    expect_code(&out, 0);
    assert_eq!(json(&out)["messages"], 1);
    sink.wait_for_messages(2, WAIT)
        .await
        .expect("c46 once resumed");
    assert_eq!(sink.messages()[1].rcpts, ["held@gmail.test"]);
}
