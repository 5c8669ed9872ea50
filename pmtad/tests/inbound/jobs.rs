//! Job and envelope ids from the header: `process-x-job` (+ `retain-x-job`),
//! `jobid-header`, `jobid-prefix` (also `{auth}`), `process-x-envid`, and the refusal of a
//! job id that would break an accounting line.

use crate::harness::{hello, send_message, start};

#[tokio::test]
async fn x_job_names_the_job_and_is_removed_unless_retained() {
    let mut s = start(|c, _| {
        c.source.policy.process_x_job = true;
        c.source.policy.process_x_envid = true;
        c.source.policy.jobid_prefix = Some("acme-".into());
    })
    .await;
    let mut c = hello(&s).await;
    let body = "X-Job: c42\r\nX-EnvId: e-17\r\nSubject: s\r\n\r\nhi\r\n";
    assert_eq!(
        send_message(&mut c, "a@b.example", &["u@local.example"], body)
            .await
            .code,
        250
    );
    let m = s.message().await;
    assert_eq!(m.envelope.job_id.as_deref(), Some("acme-c42"));
    assert_eq!(m.envelope.env_id.as_deref(), Some("e-17"));
    assert!(
        !m.text().contains("X-Job") && !m.text().contains("X-EnvId"),
        "{}",
        m.text()
    );
    // ENVID= given at MAIL wins over the header.
    c.expect("MAIL FROM:<a@b.example> ENVID=from-mail", "250")
        .await;
    c.expect("RCPT TO:<u@local.example>", "250").await;
    c.expect("DATA", "354").await;
    c.send("X-EnvId: from-header\r\n\r\nx\r\n.\r\n").await;
    assert_eq!(c.reply().await.code, 250);
    assert_eq!(
        s.message().await.envelope.env_id.as_deref(),
        Some("from-mail")
    );
}

#[tokio::test]
async fn jobid_header_and_retain_keep_the_header() {
    let mut s = start(|c, _| {
        c.source.policy.process_x_job = true;
        c.source.policy.retain_x_job = true;
        c.source.policy.jobid_header = Some("Campaign-Id".into());
    })
    .await;
    let mut c = hello(&s).await;
    let r = send_message(
        &mut c,
        "a@b",
        &["u@local.example"],
        "Campaign-Id: spring\r\n\r\nx\r\n",
    )
    .await;
    assert_eq!(r.code, 250);
    let m = s.message().await;
    assert_eq!(m.envelope.job_id.as_deref(), Some("spring"));
    assert!(m.text().contains("Campaign-Id: spring"));
    let body = "Campaign-Id: spring\r\nX-Job: c9\r\n\r\nx\r\n";
    assert_eq!(
        send_message(&mut c, "a@b", &["u@local.example"], body)
            .await
            .code,
        250
    );
    let m = s.message().await;
    assert_eq!(m.envelope.job_id.as_deref(), Some("c9"), "X-Job first");
    assert!(m.text().contains("X-Job: c9"), "retained");
}

#[tokio::test]
async fn a_job_id_with_spaces_or_controls_is_refused() {
    let mut s = start(|c, _| c.source.policy.process_x_job = true).await;
    let mut c = hello(&s).await;
    for bad in ["c 42", "c\u{1}42", &"x".repeat(300)] {
        let body = format!("X-Job: {bad}\r\n\r\nx\r\n");
        let r = send_message(&mut c, "a@b", &["u@local.example"], &body).await;
        assert!(r.lines[0].starts_with("550 5.6.0"), "{bad:?}: {r:?}");
    }
    assert!(s.nothing_stored());
    // Without process-x-job the header is just a header.
    let mut s = start(|_, _| {}).await;
    let mut c = hello(&s).await;
    let r = send_message(
        &mut c,
        "a@b",
        &["u@local.example"],
        "X-Job: c 42\r\n\r\nx\r\n",
    )
    .await;
    assert_eq!(r.code, 250);
    assert_eq!(s.message().await.envelope.job_id, None);
}
