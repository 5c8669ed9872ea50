//! Accounting writer benchmark: records per second and CPU per record.
//!
//! (1) the synchronous cost of formatting and writing a batch (what the writer thread
//! spends per record); (2) the whole pipeline through `Accounting` (bounded channel +
//! writer thread): wall-clock rate, process CPU per record, and the CPU the *sending* thread
//! spends per record, which is what accounting adds to the delivery path itself.

use std::path::Path;
use std::time::{Duration, Instant};

use pmtad::acct::{
    Accounting, AcctConfig, AcctFileOptions, AcctRecord, AcctSet, Attempt, RecordType,
};
use pmtad::envelope::{Envelope, RcptState, Recipient};
use pmtad::outcome::{FailureKind, Outcome, Producer, Reply};

use super::measure::{per_sec, self_cpu, thread_cpu, us_per};
use super::{Figure, Goal, Section};

/// 5% of the relay goal's 150 µs of CPU per message: the "< 5%" for accounting.
const PIPELINE_BUDGET_US: f64 = 7.5;

pub fn run(n: usize) -> anyhow::Result<Section> {
    let dir = tempfile::tempdir()?;
    let cfg = config(dir.path());
    let recs = sample_records();
    let mut s = Section::new("acct", "");
    let (done, wall, cpu) = bench_sync(&cfg, &recs, n)?;
    s.push(Figure::new(
        "writer: format+encode+write per record, CPU",
        us_per(cpu, done),
        "µs",
    ));
    s.push(Figure::new(
        "writer: records/s",
        per_sec(done, wall),
        "records/s",
    ));
    let (wall, cpu, sender) = bench_pipeline(&cfg, n)?;
    s.push(
        Figure::new(
            "Accounting pipeline per record, process CPU",
            us_per(cpu, n),
            "µs",
        )
        .goal(Goal::AtMost(PIPELINE_BUDGET_US)),
    );
    s.push(Figure::new(
        "Accounting pipeline records/s",
        per_sec(n, wall),
        "records/s",
    ));
    s.push(Figure::new(
        "sending thread per record (build + send), CPU",
        us_per(sender, n),
        "µs",
    ));
    let bytes: u64 = std::fs::read_dir(dir.path())?
        .map(|e| Ok(e?.metadata()?.len()))
        .sum::<std::io::Result<u64>>()?;
    s.workload = format!(
        "{n} records (d/t/b mix) through 1 file, records d,b,t, default fields, average line \
         {} B",
        bytes / (done + n).max(1) as u64
    );
    Ok(s)
}

fn config(dir: &Path) -> AcctConfig {
    let mut opts = AcctFileOptions::new(dir.join("acct.csv"));
    opts.records = vec![
        RecordType::Delivery,
        RecordType::Bounce,
        RecordType::Transient,
    ];
    opts.max_size = u64::MAX;
    AcctConfig {
        files: vec![opts],
        ..Default::default()
    }
}

/// Writes `n` records in batches of 1,024; (records written, wall, process CPU).
fn bench_sync(
    cfg: &AcctConfig,
    recs: &[AcctRecord],
    n: usize,
) -> anyhow::Result<(usize, Duration, Duration)> {
    let now = pmtad::logs::clock::now_secs();
    let mut set = AcctSet::open(cfg, now)?;
    let batch: Vec<AcctRecord> = (0..1024).map(|i| recs[i % recs.len()].clone()).collect();
    let (cpu0, t0) = (self_cpu(), Instant::now());
    let rounds = n.div_ceil(batch.len());
    for _ in 0..rounds {
        set.write(&batch, now)?;
    }
    set.sync()?;
    Ok((rounds * batch.len(), t0.elapsed(), self_cpu() - cpu0))
}

/// Sends `n` records through `Accounting`; (wall, process CPU, sending thread CPU).
fn bench_pipeline(cfg: &AcctConfig, n: usize) -> anyhow::Result<(Duration, Duration, Duration)> {
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let acct = Accounting::start(cfg)?;
    let env = envelope();
    let outcomes = outcomes();
    let attempt = attempt();
    let (cpu0, thread0, t0) = (self_cpu(), thread_cpu(), Instant::now());
    rt.block_on(async {
        for i in 0..n {
            let rcpt = &env.recipients[i % env.recipients.len()];
            let rec = AcctRecord::from_outcome(&env, rcpt, &outcomes[i % 3], &attempt, 0);
            acct.record(rec).await?;
        }
        acct.shutdown().await
    })?;
    let sender = thread_cpu() - thread0;
    Ok((t0.elapsed(), self_cpu() - cpu0, sender))
}

fn sample_records() -> Vec<AcctRecord> {
    let env = envelope();
    let a = attempt();
    outcomes()
        .iter()
        .zip(&env.recipients)
        .map(|(o, r)| AcctRecord::from_outcome(&env, r, o, &a, 1_764_072_000))
        .collect()
}

fn envelope() -> Envelope {
    let rcpts = [
        "alice@gmail.com",
        "bob.smith@gmail.com",
        "carol+tag@gmail.com",
    ];
    Envelope {
        mail_from: "bounces-12345@mailer.example.com".into(),
        recipients: rcpts
            .iter()
            .map(|r| Recipient {
                address: (*r).into(),
                orcpt: None,
                state: RcptState::Pending,
                notify: Default::default(),
            })
            .collect(),
        vmta: "mta1".into(),
        received_at: 1_764_071_000,
        source_ip: Some("127.0.0.9".parse().expect("ip")),
        size: 18_432,
        env_id: Some("campaign-77-batch-3".into()),
        job_id: Some("job-77".into()),
        helo: Some("feeder1.example.com".into()),
        acct_headers: Vec::new(),
        auth_user: None,
    }
}

fn attempt() -> Attempt {
    let mut a = Attempt::smtp("gmail.com", "mta1");
    a.source_ip = Some("127.0.0.5".parse().expect("ip"));
    a.esmtp = Some("SIZE,8BITMIME,STARTTLS,ENHANCEDSTATUSCODES,PIPELINING,CHUNKING".into());
    a
}

fn outcomes() -> [Outcome; 3] {
    let by = Producer::Remote {
        host: "gmail-smtp-in.l.google.com".into(),
        ip: "127.0.0.2".parse().expect("ip"),
    };
    let r = |code, e: &str, text: &str| Reply {
        code,
        enhanced: Some(e.into()),
        text: text.into(),
    };
    [
        Outcome::Delivered {
            reply: r(250, "2.0.0", "OK 1764072000 a1si123456qkb.42 - gsmtp"),
            by: by.clone(),
        },
        Outcome::Transient {
            reply: r(
                451,
                "4.7.1",
                "Try again later, closing connection. (EHLO) - gsmtp",
            ),
            by: by.clone(),
            kind: FailureKind::Rcpt,
        },
        Outcome::Permanent {
            reply: r(
                550,
                "5.1.1",
                "The email account that you tried to reach does not exist",
            ),
            by,
            kind: FailureKind::Rcpt,
        },
    ]
}
