//! spool-stress: drives a spool from many concurrent tasks, for the crash and full-disk tests.
//!
//! `spool-stress store DIR [--writers N] [--size B] [--segment-size B]` stores messages until
//! killed, printing `ok <id>` after each acknowledgement and, for every second message,
//! `deliver <id>` before marking its recipients delivered and `done <id>` once that is durable.
//!
//! `spool-stress fill DIR` stores messages one at a time until a store fails, prints
//! `full <error>` (or `error <error>` for other errors), waits for a line on stdin (the test
//! frees space meanwhile), stores ten more (`ok <id>` each) and prints `done`.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use pmtad::envelope::{DEFAULT_VMTA, Envelope, RcptState, Recipient};
use pmtad::spool::{Spool, SpoolError, SpoolOptions};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Store {
        dir: PathBuf,
        #[arg(long, default_value_t = 50)]
        writers: usize,
        #[arg(long, default_value_t = 2048)]
        size: usize,
        #[arg(long, default_value_t = 256 << 10)]
        segment_size: u64,
    },
    Fill {
        dir: PathBuf,
    },
}

fn envelope(n: usize) -> Envelope {
    Envelope {
        mail_from: "stress@feeder.example".into(),
        recipients: vec![Recipient {
            address: format!("user{n}@x{}.example", n % 7),
            orcpt: None,
            state: RcptState::Pending,
            notify: Default::default(),
        }],
        vmta: DEFAULT_VMTA.into(),
        received_at: 1_764_000_000,
        source_ip: None,
        size: 0,
        env_id: None,
        job_id: None,
        helo: None,
        acct_headers: Vec::new(),
        auth_user: None,
    }
}

async fn writer(spool: Spool, t: usize, size: usize) -> Result<(), SpoolError> {
    for i in 0.. {
        let id = spool
            .store(&envelope(t + i), vec![b'x'; size].into())
            .await?;
        println!("ok {}", id.0);
        if i % 2 == 1 {
            println!("deliver {}", id.0);
            spool.set_states(id, &[(0, RcptState::Delivered)]).await?;
            println!("done {}", id.0);
        }
    }
    Ok(())
}

async fn store(dir: PathBuf, writers: usize, size: usize, segment_size: u64) -> anyhow::Result<()> {
    let opts = SpoolOptions {
        segment_size,
        ..SpoolOptions::default()
    };
    let (spool, _) = Spool::open(&dir, opts)?;
    let tasks: Vec<_> = (0..writers)
        .map(|t| tokio::spawn(writer(spool.clone(), t * 1_000_000, size)))
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn fill(dir: PathBuf) -> anyhow::Result<()> {
    let (spool, _) = Spool::open(&dir, SpoolOptions::default())?;
    for i in 0.. {
        match spool.store(&envelope(i), vec![b'y'; 2048].into()).await {
            Ok(id) => println!("ok {}", id.0),
            Err(e @ SpoolError::Full { .. }) => {
                println!("full {e}");
                break;
            }
            Err(e) => {
                println!("error {e}");
                return Ok(());
            }
        }
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    for i in 0..10 {
        let id = spool.store(&envelope(i), vec![b'z'; 2048].into()).await?;
        println!("ok {}", id.0);
    }
    spool.close().await;
    println!("done");
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    match Args::parse().cmd {
        Cmd::Store {
            dir,
            writers,
            size,
            segment_size,
        } => store(dir, writers, size, segment_size).await,
        Cmd::Fill { dir } => fill(dir).await,
    }
}
