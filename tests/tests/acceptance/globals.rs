//! Global directives of spec.md §1: logs, names, listener, spool, control socket, DNS
//! servers, postmaster.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use pmta_tests::daemon::{Pmtad, pmtactl};
use pmta_tests::inject::Session;
use pmta_tests::sink::reply;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::world::*;

/// `log-domain log/domains/%d.log`: one delivery log per recipient domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_log_domain() {
    let w = World::builder(160)
        .sink(|b| b.on_rcpt("later@gmail.com", reply(451, "4.3.0 try later")))
        .start()
        .await;
    w.inject_ok(&each(&["a@example.com", "b@gmail.com", "later@gmail.com"]))
        .await;
    let ex = w
        .wait_text("log/domains/example.com.log", |t| {
            t.contains("delivered a@example.com")
        })
        .await;
    let gm = w
        .wait_text("log/domains/gmail.com.log", |t| {
            t.contains("delivered b@gmail.com") && t.contains("deferred later@gmail.com")
        })
        .await;
    assert!(!ex.contains("gmail.com"), "{ex}");
    assert!(!gm.contains("a@example.com"), "{gm}");
}

/// `log-file log/pmtad.log`: the main log records the daemon's life and operator actions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_log_file() {
    let w = World::start(161).await;
    let addr = w.pmtad.smtp_addr();
    w.wait_text("log/pmtad.log", |t| {
        t.contains(&format!("listening for SMTP on {addr}"))
    })
    .await;
    w.inject_ok(&each(&["a@gmail.com"])).await;
    w.wait_delivered(1).await;
    w.json(&["set", "queue", "--mode=backoff", "gmail.com"]);
    w.json(&["reload"]);
    let text = w
        .wait_text("log/pmtad.log", |t| {
            t.contains("set to backoff mode by the operator") && t.contains("reloaded")
        })
        .await;
    assert!(text.contains("started"), "{text}");
}

/// `host-name pmtad.test`: the listener's banner and the EHLO name toward the MX; a
/// `<virtual-mta>`'s own `host-name` is the EHLO name of its connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_host_name() {
    let w = World::builder(162)
        .edit(
            "  bind-to-source-ip",
            "  host-name out.pmtad.test\n  bind-to-source-ip",
        )
        .start()
        .await;
    let tcp = tokio::net::TcpStream::connect(w.pmtad.smtp_addr())
        .await
        .unwrap();
    let mut banner = String::new();
    BufReader::new(tcp).read_line(&mut banner).await.unwrap();
    assert!(banner.starts_with("220 pmtad.test"), "{banner}");
    w.inject_ok(&[
        msg("s@src.test", &["a@gmail.com"], 1),
        msg_with(
            "X-Virtual-MTA: domain-specific",
            "s@src.test",
            &["b@example.com"],
            2,
        ),
    ])
    .await;
    let got = w.wait_delivered(2).await;
    let helo = |rcpt: &str| {
        got.iter()
            .find(|m| m.rcpts[0] == rcpt)
            .unwrap()
            .helo
            .clone()
    };
    assert_eq!(helo("a@gmail.com"), "pmtad.test");
    assert_eq!(helo("b@example.com"), "out.pmtad.test");
    let status = w.json(&["show", "status"]);
    assert_eq!(status["host_name"], "pmtad.test");
}

/// `smtp-listener IP:PORT`, twice: pmtad listens on both addresses (port 0 = any) and takes
/// mail on each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_smtp_listener() {
    let n = 163;
    let w = World::builder(n)
        .edit(
            "smtp-listener 127.0.0.1:0",
            &format!("smtp-listener {}:0\nsmtp-listener 127.0.0.1:0", ip(5, n)),
        )
        .start()
        .await;
    let ips: Vec<_> = w.pmtad.smtp.iter().map(|a| a.ip()).collect();
    assert!(
        ips.contains(&ip(5, n)) && ips.contains(&ip(0, 1)),
        "{ips:?}"
    );
    for (i, addr) in w.pmtad.smtp.iter().enumerate() {
        let mut s = Session::connect(*addr).await.unwrap();
        let m = msg("s@src.test", &[&format!("r{i}@gmail.com")], i as u64);
        assert_eq!(s.send(&m).await.unwrap().code, 250);
        let _ = s.quit().await;
    }
    w.wait_delivered(2).await;
}

/// `spool var/queue`: accepted mail is on disk there, and survives `kill -9`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_spool() {
    let mut w = World::builder(164)
        .edit("spool spool", "spool var/queue")
        .start()
        .await;
    w.json(&["pause", "queue", "gmail.com"]);
    w.inject_ok(&each(&["a@gmail.com", "b@gmail.com"])).await;
    let files = walk(&w.path("var/queue"));
    assert!(files.len() >= 2, "{files:?}");
    assert!(!w.path("spool").exists(), "nothing in the default place");
    let status = w.json(&["show", "status"]);
    assert!(
        status["spool"]["path"]
            .as_str()
            .unwrap()
            .ends_with("var/queue"),
        "{status:#}"
    );
    assert_eq!(status["spool"]["messages"], 2);
    w.pmtad.kill9();
    w.pmtad = Pmtad::start_file(w.dir.path(), &w.path("pmta.conf")).expect("restart");
    w.json(&["resume", "queue", "gmail.com"]);
    w.wait_delivered(2).await;
    assert_eq!(w.delivered(), ["a@gmail.com", "b@gmail.com"]);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `control-socket PATH`: pmtad answers pmtactl on that socket, mode 0660; pmtactl finds it
/// from the config file too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_control_socket() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("run/pmtad/ctl.sock");
    let w = World::builder(165)
        .edit(
            "control-socket control.sock",
            &format!("control-socket {}", sock.display()),
        )
        .start()
        .await;
    let meta = std::fs::metadata(&sock).expect("the socket exists");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert!(!w.pmtad.socket().exists());
    let out = pmtactl(&sock, &["--json", "show", "status"]);
    expect_code(&out, 0);
    assert_eq!(json(&out)["host_name"], "pmtad.test");
    let conf = w.pmtad.config.display().to_string();
    let out = std::process::Command::new(pmta_tests::daemon::bin("pmtactl"))
        .args(["--config", &conf, "--json", "show", "status"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let out = pmtactl(&w.pmtad.socket(), &["show", "status"]);
    expect_code(&out, 3);
}

/// `name-server IP:PORT`: the MX lookups go to the test's DNS server, and its answer is what
/// `domain detail` shows and where mail goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_name_server() {
    let n = 166;
    let w = World::builder(n)
        .dns(move |d| {
            d.mx("dns-only.test", 5, "mx.dns-only.test")
                .addr("mx.dns-only.test", ip(0, n))
        })
        .start()
        .await;
    w.inject_ok(&each(&["a@dns-only.test"])).await;
    w.wait_delivered(1).await;
    assert!(w.dns.queries("dns-only.test") > 0);
    assert!(w.dns.queries("mx.dns-only.test") > 0);
    let d = w.json(&["domain", "detail", "dns-only.test"]);
    let host = &d["queues"][0]["destinations"]["hosts"][0];
    assert_eq!(host["host"], "mx.dns-only.test", "{d:#}");
    assert_eq!(host["addresses"][0], ip(0, n).to_string(), "{d:#}");
}

/// `postmaster ADDR`: the address that sends DSNs (their `From:`) and receives mail sent to
/// `postmaster`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_postmaster() {
    let n = 167;
    let w = World::builder(n)
        .sink(|b| b.on_rcpt("gone@example.com", reply(550, "5.1.1 no such user")))
        .dns(move |d| {
            d.mx("src.test", 10, "mx.gmail.com")
                .mx("ops.test", 10, "mx.gmail.com")
        })
        .extra("postmaster hostmaster@ops.test\n")
        .start()
        .await;
    w.inject_ok(&[msg("sender@src.test", &["gone@example.com"], 1)])
        .await;
    let got = w
        .sink
        .wait_until(WAIT, |s| {
            s.messages().iter().any(|m| m.mail_from.is_empty())
        })
        .await
        .expect("a DSN");
    let dsn = got
        .messages()
        .into_iter()
        .find(|m| m.mail_from.is_empty())
        .unwrap();
    let text = String::from_utf8_lossy(&dsn.data);
    let from = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("from:"))
        .unwrap_or_default();
    assert!(from.contains("hostmaster@ops.test"), "DSN {from}");

    let mut s = Session::connect(w.pmtad.smtp_addr()).await.unwrap();
    let r = s
        .send(&msg("s@src.test", &["postmaster"], 2))
        .await
        .unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    let _ = s.quit().await;
    w.sink
        .wait_until(WAIT, |s| {
            s.messages()
                .iter()
                .any(|m| m.rcpts.iter().any(|r| r == "hostmaster@ops.test"))
        })
        .await
        .expect("mail to postmaster reaches the postmaster address");
}
