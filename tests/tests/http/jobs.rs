//! `/jobs`, `/jobDetail?jobid=` and `/logs` in JSON and XML: the jobs from the same
//! backend as `pmtactl show jobs`, the log lines from the ring `pmtactl tail logs` reads.

use super::*;
use pmta_tests::http::Request;

fn job_msg(job: &str, rcpt: &str, n: u64) -> Message {
    let mut m = Message::sized("sender@src.test", &[rcpt], 600, n);
    let mut data = format!("X-Job: {job}\r\n").into_bytes();
    data.extend_from_slice(&m.data);
    m.data = data;
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_and_logs_answer_from_the_job_backend_and_the_log_ring() {
    let extra = "<source 127.0.0.1>\n  always-allow-relaying yes\n  process-x-job yes\n</source>\n";
    let w = Web::start_with("127.0.0.210", &["jobs.test"], SmtpSink::builder(), extra).await;
    let mut s = Session::connect(w.pmtad.smtp_addr()).await.unwrap();
    for (n, rcpt) in ["a@jobs.test", "b@jobs.test"].iter().enumerate() {
        let r = s.send(&job_msg("c42", rcpt, n as u64)).await.unwrap();
        assert_eq!(r.code, 250, "{r:?}");
    }
    let _ = s.quit().await;
    w.wait_delivered(2).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while w.ctl_json(&["show", "job", "c42"])["delivered"] != 2 {
        assert!(tokio::time::Instant::now() < deadline, "c42 never final");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let jobs = w.data("/jobs?format=json").await;
    let ctl = w.ctl_json(&["show", "jobs"]);
    let row = &jobs["job"][0];
    assert_eq!(
        (row["id"].as_str(), row["delivered"].as_u64()),
        (Some("c42"), Some(2))
    );
    assert_eq!(row["rcp"], ctl["jobs"][0]["queued"]);
    assert_eq!(row["firstSeen"], ctl["jobs"][0]["first_seen"]);
    let xml = w.get("/jobs?format=xml").await.body;
    assert!(
        xml.contains("<id>c42</id>") && xml.contains("<delivered>2</delivered>"),
        "{xml}"
    );
    let one = w.data("/jobDetail?jobid=c42&format=json").await;
    assert_eq!(one["job"]["delivered"], 2);
    assert_eq!(w.get("/jobDetail?jobid=nope").await.status, 404);
    assert_eq!(w.get("/jobDetail").await.status, 400);

    let logs = w
        .data("/logs?format=json&maxitems=1000&domain=jobs.test")
        .await;
    let lines = logs["line"].as_array().unwrap();
    assert!(!lines.is_empty(), "{logs}");
    assert!(lines.iter().all(|l| l["domain"] == "jobs.test"), "{logs}");
    let next = logs["nextCursor"].as_u64().unwrap();
    let after = w
        .data(&format!("/logs?format=json&cursor={next}&domain=jobs.test"))
        .await;
    assert_eq!(after["line"].as_array().map(Vec::len), Some(0), "{after}");
    let xml = w.get("/logs?format=xml&maxitems=5").await.body;
    assert!(xml.contains("<line><domain>"), "{xml}");
    assert_eq!(w.get("/logs?cursor=x").await.status, 400);
    let denied = Request::get("/logs")
        .from("127.0.0.4")
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(denied.status, 403);
}
