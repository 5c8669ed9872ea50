//! SMTP AUTH end to end, with curl as the feeder: PLAIN and LOGIN over STARTTLS relay to
//! the sink; a wrong password gets 535; a client that did not log in may not relay; the
//! failure rate locks a client address out and lets it back once its window is over.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::certs::TestCa;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::SmtpSink;

/// The argon2 hash of `password`, as an operator makes it: `pmtad --hash-password`.
fn hash(password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(pmta_tests::daemon::bin("pmtad"))
        .arg("--hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn curl_present() -> bool {
    Command::new("curl").arg("--version").output().is_ok()
}

/// One curl submission over STARTTLS from `local`; `login` is (user, password, mechanism).
fn curl(world: &World, ca: &Path, local: &str, login: Option<(&str, &str, &str)>) -> Output {
    let msg = world.path("msg.eml");
    std::fs::write(
        &msg,
        "From: a@feeder.test\r\nSubject: auth\r\n\r\nhello\r\n",
    )
    .unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-v", "--ssl-reqd", "--interface", local])
        .arg("--cacert")
        .arg(ca)
        .arg(format!("smtp://{}", world.pmtad.smtp_addr()))
        .args([
            "--mail-from",
            "a@feeder.test",
            "--mail-rcpt",
            "r@gmail.test",
            "-T",
        ])
        .arg(&msg);
    if let Some((user, password, mech)) = login {
        cmd.arg("-u")
            .arg(format!("{user}:{password}"))
            .arg("--login-options")
            .arg(format!("AUTH={mech}"));
    }
    cmd.output().expect("run curl")
}

fn replies(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn setup(dir: &Path) -> (PathBuf, String) {
    let ca = TestCa::new().unwrap();
    let leaf = ca.leaf(&["127.0.0.1"]).unwrap();
    let pem = dir.join("server.pem");
    std::fs::write(&pem, format!("{}{}", leaf.cert_pem, leaf.key_pem)).unwrap();
    let ca_pem = dir.join("ca.pem");
    std::fs::write(&ca_pem, ca.cert_pem()).unwrap();
    (
        ca_pem,
        format!("smtp-server-tls-certificate {}\n", pem.display()),
    )
}

#[tokio::test]
async fn feeders_log_in_over_starttls_and_relay() {
    if !curl_present() {
        println!("SKIPPED: curl is not installed (.ci/run installs it)");
        return;
    }
    let sink = sink_on("127.0.0.2", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("gmail.test", "127.0.0.2")
        .start()
        .await
        .unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (ca, tls) = setup(keys.path());
    let config = format!(
        "host-name pmtad.test\nsmtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
         log-file log/pmtad.log\nname-server {dns}\n{tls}\
         <acct-file log/acct.csv>\n  records d,r\n  record-fields r *,rcvSmtpUser\n</acct-file>\n\
         <smtp-user alice>\n  password s3cret\n</smtp-user>\n\
         <smtp-user bob>\n  password {bob}\n</smtp-user>\n\
         <source 0/0>\n  smtp-max-auth-failure-rate 2/2s\n</source>\n\
         <source {{auth}}>\n  always-allow-relaying yes\n</source>\n\
         <domain *>\n  smtp-port {port}\n  tls no\n  retry-after 1s\n</domain>\n",
        dns = dns.addr(),
        bob = hash("b0b-pass"),
        port = sink.addr().port(),
    );
    let world = World::start(&config);

    let out = curl(&world, &ca, "127.0.0.1", Some(("alice", "s3cret", "PLAIN")));
    assert!(out.status.success(), "{}", replies(&out));
    assert!(replies(&out).contains("< 235"), "{}", replies(&out));
    let out = curl(&world, &ca, "127.0.0.1", Some(("bob", "b0b-pass", "LOGIN")));
    assert!(out.status.success(), "{}", replies(&out));
    sink.wait_for_messages(2, WAIT)
        .await
        .expect("both at the sink");

    let out = curl(&world, &ca, "127.0.0.1", Some(("alice", "wrong", "PLAIN")));
    assert!(!out.status.success());
    assert!(replies(&out).contains("< 535 5.7.8"), "{}", replies(&out));
    let out = curl(&world, &ca, "127.0.0.1", None);
    assert!(!out.status.success());
    assert!(replies(&out).contains("< 550 5.7.1"), "{}", replies(&out));
    assert_eq!(sink.messages().len(), 2, "nothing more was relayed");

    // The main log names the user; no log holds a password or the base64 that carries it.
    let log = world.path("log/pmtad.log");
    wait_for(|| std::fs::read_to_string(&log).is_ok_and(|t| t.contains("as bob"))).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("authenticated as alice"), "{text}");
    for secret in ["s3cret", "b0b-pass", "wrong", "AGFsaWNl"] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "r").count() == 2).await;
    let users: Vec<String> = world
        .acct()
        .iter()
        .filter(|r| r["type"] == "r")
        .map(|r| r["rcvSmtpUser"].clone())
        .collect();
    assert_eq!(users, ["alice", "bob"]);

    // Lockout: two failures from 127.0.0.3 in the 2 s window, then even the right
    // password is refused (421) until the window has passed; 127.0.0.1 is not affected.
    for _ in 0..2 {
        let out = curl(&world, &ca, "127.0.0.3", Some(("alice", "guess", "PLAIN")));
        assert!(replies(&out).contains("< 535"), "{}", replies(&out));
    }
    let out = curl(&world, &ca, "127.0.0.3", Some(("alice", "s3cret", "PLAIN")));
    assert!(replies(&out).contains("< 421 4.7.0"), "{}", replies(&out));
    let out = curl(&world, &ca, "127.0.0.1", Some(("alice", "s3cret", "PLAIN")));
    assert!(out.status.success(), "{}", replies(&out));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let out = curl(&world, &ca, "127.0.0.3", Some(("alice", "s3cret", "PLAIN")));
        if out.status.success() {
            break;
        }
        assert!(replies(&out).contains("< 421"), "{}", replies(&out));
        assert!(tokio::time::Instant::now() < deadline, "still locked out");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    sink.wait_for_messages(4, WAIT)
        .await
        .expect("four at the sink");
}
