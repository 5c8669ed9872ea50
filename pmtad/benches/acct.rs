//! Accounting writer benchmark: records per second and CPU per record.
//!
//! `cargo bench -p pmtad --bench acct [-- RECORDS]` (default 300000 records).
//! Prints (1) the synchronous cost of formatting and writing a batch (what the writer thread
//! spends per record), and (2) the whole pipeline through `Accounting` (bounded channel +
//! writer thread): wall-clock rate, process CPU per record, and the CPU the *sending* thread
//! spends per record, which is what accounting adds to the delivery path itself.
//! CPU comes from /proc (process: utime+stime; sending thread: schedstat, in ns).

use std::time::Instant;

use pmtad::acct::{
    Accounting, AcctConfig, AcctFileOptions, AcctRecord, AcctSet, Attempt, RecordType,
};
use pmtad::envelope::{Envelope, RcptState, Recipient};
use pmtad::outcome::{Outcome, Producer, Reply};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = config(dir.path());
    let recs = sample_records();
    println!("acct writer bench: {n} records (d/t/b mix), 1 file, records d,b,t, default fields");
    bench_sync(&cfg, &recs, n);
    bench_pipeline(&cfg, n);
    let bytes: u64 = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    println!("average line: {} bytes", bytes / (2 * n as u64));
}

fn config(dir: &std::path::Path) -> AcctConfig {
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

fn bench_sync(cfg: &AcctConfig, recs: &[AcctRecord], n: usize) {
    let now = pmtad::logs::clock::now_secs();
    let mut set = AcctSet::open(cfg, now).expect("open");
    let batch: Vec<AcctRecord> = (0..1024).map(|i| recs[i % recs.len()].clone()).collect();
    let (cpu0, t0) = (process_cpu_us(), Instant::now());
    for _ in 0..n / batch.len() {
        set.write(&batch, now).expect("write");
    }
    set.sync().expect("sync");
    let done = (n / batch.len()) * batch.len();
    report(
        "format + write (writer thread work)",
        done,
        t0,
        process_cpu_us() - cpu0,
    );
}

fn bench_pipeline(cfg: &AcctConfig, n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let acct = Accounting::start(cfg).expect("start");
    let env = envelope();
    let outcomes = outcomes();
    let attempt = attempt();
    let (cpu0, thread0, t0) = (process_cpu_us(), thread_cpu_us(), Instant::now());
    rt.block_on(async {
        for i in 0..n {
            let rcpt = &env.recipients[i % env.recipients.len()];
            let rec = AcctRecord::from_outcome(&env, rcpt, &outcomes[i % 3], &attempt, 0);
            acct.record(rec).await.expect("record");
        }
        acct.shutdown().await.expect("shutdown");
    });
    let sender = thread_cpu_us() - thread0;
    report(
        "Accounting pipeline (channel + thread)",
        n,
        t0,
        process_cpu_us() - cpu0,
    );
    println!(
        "  sending thread (build record + send): {:.2} µs CPU/record",
        sender as f64 / n as f64
    );
}

fn report(what: &str, n: usize, t0: Instant, cpu_us: u64) {
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{what}: {:.0} records/s, {:.2} µs CPU/record (process), {:.3} s wall",
        n as f64 / secs,
        cpu_us as f64 / n as f64,
        secs
    );
}

/// utime + stime of the whole process, in µs (clock ticks of 10 ms on Linux).
fn process_cpu_us() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<u64> = after
        .split(' ')
        .skip(11)
        .take(2)
        .map(|x| x.parse().expect("ticks"))
        .collect();
    (f[0] + f[1]) * 10_000
}

/// CPU time of the calling thread, in µs (schedstat is in ns).
fn thread_cpu_us() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    s.split(' ')
        .next()
        .and_then(|x| x.parse::<u64>().ok())
        .expect("ns")
        / 1000
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
        },
        Outcome::Permanent {
            reply: r(
                550,
                "5.1.1",
                "The email account that you tried to reach does not exist",
            ),
            by,
        },
    ]
}
