//! The README's quick start: pmtad on the bundled example config, for real, on loopback.
//!
//! It starts a DNS server and an SMTP sink of its own on 127.0.0.x (nothing leaves the
//! machine), runs pmtad on `examples/pmta.conf` in a temporary directory (its listener moved
//! to a free port, its name server pointed at the demo DNS, the local domain's
//! `mailbox-command` writing into a folder), injects a handful of messages, waits until each
//! is delivered or bounced, prints what pmtactl and the accounting file say, and stops
//! everything it started.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::{Message, Session};
use pmta_tests::sink::{SmtpSink, reply};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir()?;
    let mail = dir.path().join("mailboxes");
    std::fs::create_dir_all(&mail)?;
    let sink = SmtpSink::builder()
        .listen("127.0.0.2:0".parse()?)
        .on_rcpt(
            "nobody@example.com",
            reply(550, "5.1.1 <nobody@example.com>: no such user"),
        )
        .start()
        .await?;
    let dns = TestDns::builder()
        .mx("example.com", 10, "mx.example.com")
        .a("mx.example.com", "127.0.0.2")
        .a("example.org", "127.0.0.2")
        .start()
        .await?;
    let config = demo_config(
        &root.join("examples/pmta.conf"),
        &dns,
        sink.addr().port(),
        &mail,
    )?;
    println!(
        "== pmtad on examples/pmta.conf (state in {})",
        dir.path().display()
    );
    let pmtad = Pmtad::start(dir.path(), &config)?;
    println!(
        "   SMTP listener {}; DNS {}; sink {}",
        pmtad.smtp_addr(),
        dns.addr(),
        sink.addr()
    );
    inject(&pmtad).await?;
    if sink
        .wait_until(Duration::from_secs(30), |s| s.transactions >= 3)
        .await
        .is_err()
    {
        println!("   (the sink did not see every transaction in 30 s)");
    }
    wait_for_files(&[mail.join("alice"), mail.join("bob")]).await;
    for args in [
        &["show", "domains"][..],
        &["domain", "detail", "example.com"],
        &["show", "queues"],
        &["show", "status"],
    ] {
        println!("\n== pmtactl {}", args.join(" "));
        let out = pmtad.pmtactl(args);
        print!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    println!(
        "\n== local deliveries (mailbox-command) in {}",
        mail.display()
    );
    for f in std::fs::read_dir(&mail)? {
        println!("   {}", f?.path().display());
    }
    println!("\n== what the sink on 127.0.0.2 received");
    for m in sink.messages() {
        println!(
            "   from <{}> to {:?} ({} bytes)",
            m.mail_from,
            m.rcpts,
            m.data.len()
        );
    }
    println!("\n== accounting (log/acct-*.csv)");
    print_acct(&dir.path().join("log"))?;
    Ok(())
}

/// The bundled example, adapted to run unprivileged on loopback.
fn demo_config(example: &Path, dns: &TestDns, port: u16, mail: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(example)?;
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        let line = if t.starts_with("smtp-listener ") {
            "smtp-listener 127.0.0.1:0".to_string()
        } else if t.starts_with("mailbox-command ") {
            format!(
                "  mailbox-command /bin/sh -c \"cat > {}/$user\"",
                mail.display()
            )
        } else if t.starts_with("spool ")
            || t.starts_with("control-socket ")
            || t.starts_with("log-")
            || t.starts_with("accounting-log ")
            || t.starts_with("<acct-file ")
        {
            line.replace("var/", "")
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "\n# demo: the demo's own DNS server and sink port\nname-server {}\n<domain *>\n  smtp-port {port}\n  retry-after 5s\n</domain>\n",
        dns.addr()
    ));
    Ok(out)
}

async fn inject(pmtad: &Pmtad) -> anyhow::Result<()> {
    let mut s = Session::connect(pmtad.smtp_addr()).await?;
    let msgs = [
        (
            "news@example.org",
            vec!["alice@mylocal.com", "bob@mylocal.com"],
        ),
        (
            "news@example.org",
            vec!["carol@example.com", "dave@example.com"],
        ),
        ("news@example.org", vec!["nobody@example.com"]),
    ];
    println!("\n== injecting {} messages", msgs.len());
    for (i, (from, rcpts)) in msgs.iter().enumerate() {
        let r: Vec<&str> = rcpts.iter().map(|s| &**s).collect();
        let reply = s.send(&Message::sized(from, &r, 1500, i as u64)).await?;
        println!("   {from} -> {rcpts:?}: {} {}", reply.code, reply.text);
    }
    s.quit().await?;
    Ok(())
}

async fn wait_for_files(files: &[PathBuf]) {
    for _ in 0..300 {
        if files.iter().all(|f| f.exists()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn print_acct(dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("acct-"))
    });
    files.sort();
    for f in files {
        let mut rd = csv::Reader::from_path(&f)?;
        println!("   {}", f.display());
        for rec in rd.records() {
            let rec = rec?;
            let get = |i: usize| rec.get(i).unwrap_or("");
            println!("   {:<2} {:<24} {:<26} {}", get(0), get(4), get(7), get(8));
        }
    }
    Ok(())
}
