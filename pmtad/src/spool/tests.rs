//! Component tests of the spool against real files in a temporary directory.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::*;
use crate::envelope::{DEFAULT_VMTA, Recipient};

pub(crate) fn envelope(rcpts: &[&str]) -> Envelope {
    Envelope {
        mail_from: "sender@feeder.example".into(),
        recipients: rcpts
            .iter()
            .map(|a| Recipient {
                address: (*a).into(),
                orcpt: None,
                state: RcptState::Pending,
                notify: Default::default(),
            })
            .collect(),
        vmta: DEFAULT_VMTA.into(),
        received_at: 1_764_000_000,
        source_ip: Some("127.0.0.1".parse().unwrap()),
        size: 0,
        env_id: None,
        job_id: Some("job-1".into()),
        helo: Some("feeder.example".into()),
        acct_headers: vec![("X-Campaign".into(), "c1".into())],
        auth_user: None,
    }
}

fn body(i: usize, len: usize) -> Vec<u8> {
    let mut v = format!("Subject: message {i}\r\n\r\n").into_bytes();
    v.resize(len, b'a' + (i % 26) as u8);
    v
}

fn small_segments() -> SpoolOptions {
    SpoolOptions {
        segment_size: 16 << 10,
        ..SpoolOptions::default()
    }
}

async fn store_n(spool: &Spool, n: usize, len: usize) -> Vec<MessageId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let env = envelope(&["a@x.example", "b@y.example"]);
        ids.push(spool.store(&env, body(i, len).into()).await.unwrap());
    }
    ids
}

fn seg_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir.join("segments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".seg"))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn stores_and_recovers_envelopes_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, rec) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    assert!(rec.is_empty());
    let ids = store_n(&spool, 20, 2048).await;
    assert_eq!(spool.read_content(ids[3]).await.unwrap(), body(3, 2048));
    spool.close().await;
    let (spool, rec) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    assert_eq!(rec.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
    let expected = Envelope {
        size: 2048,
        ..envelope(&["a@x.example", "b@y.example"])
    };
    assert_eq!(rec[7].envelope, expected);
    assert_eq!(spool.read_content(ids[7]).await.unwrap(), body(7, 2048));
    let next = spool.store(&expected, b"x".to_vec().into()).await.unwrap();
    assert!(next > ids[19], "ids are never reused");
}

#[tokio::test]
async fn partial_delivery_resumes_and_final_message_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let ids = store_n(&spool, 3, 100).await;
    spool
        .set_states(ids[0], &[(0, RcptState::Delivered)])
        .await
        .unwrap();
    spool
        .set_states(ids[1], &[(0, RcptState::Delivered), (1, RcptState::Failed)])
        .await
        .unwrap();
    assert!(!spool.contains(ids[1]));
    assert!(matches!(
        spool.set_states(ids[1], &[(0, RcptState::Failed)]).await,
        Err(SpoolError::NotFound(_))
    ));
    spool.close().await;
    let (_spool, rec) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    assert_eq!(rec.len(), 2);
    assert_eq!(rec[0].id, ids[0]);
    let states: Vec<_> = rec[0].envelope.recipients.iter().map(|r| r.state).collect();
    assert_eq!(states, [RcptState::Delivered, RcptState::Pending]);
    assert_eq!(rec[1].id, ids[2]);
}

#[tokio::test]
async fn torn_tail_is_skipped_and_spool_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let ids = store_n(&spool, 5, 500).await;
    spool.close().await;
    let seg = dir.path().join("segments").join(&seg_files(dir.path())[0]);
    let good_len = fs::metadata(&seg).unwrap().len();
    // A crash in the middle of an append: a frame header promising more than was written.
    let mut f = fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&[200, 1, 0, 0, 9, 9, 9, 9, 1, 2, 3]).unwrap();
    drop(f);
    let (spool, rec) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    assert_eq!(rec.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
    assert_eq!(fs::metadata(&seg).unwrap().len(), good_len, "tail cut off");
    let later = spool
        .store(&envelope(&["c@z.example"]), b"later".to_vec().into())
        .await
        .unwrap();
    spool.close().await;
    let (spool, rec) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    assert_eq!(rec.len(), 6);
    assert_eq!(spool.read_content(later).await.unwrap(), b"later");
}

#[tokio::test]
async fn zero_filled_tail_is_a_torn_write() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let ids = store_n(&spool, 2, 300).await;
    spool.close().await;
    let seg = dir.path().join("segments").join(&seg_files(dir.path())[0]);
    let f = fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(f.metadata().unwrap().len() + 4096).unwrap();
    let (_spool, rec) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    assert_eq!(rec.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
}

#[tokio::test]
async fn compaction_reclaims_segments_of_final_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), small_segments()).unwrap();
    let ids = store_n(&spool, 200, 1000).await;
    let before = spool.stats();
    assert!(before.segments > 5, "{before:?}");
    for id in &ids[..199] {
        let all = [(0, RcptState::Delivered), (1, RcptState::Failed)];
        spool.set_states(*id, &all).await.unwrap();
    }
    spool.compact().await;
    let after = spool.stats();
    assert_eq!(after.live_messages, 1);
    assert!(after.segments <= 3, "{after:?}");
    assert!(seg_files(dir.path()).len() as u64 == after.segments);
    // The survivor was copied forward from the oldest segment with its content intact.
    assert_eq!(spool.read_content(ids[199]).await.unwrap(), body(199, 1000));
    spool.close().await;
    let (spool, rec) = Spool::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec.len(), 1);
    assert_eq!(spool.read_content(ids[199]).await.unwrap(), body(199, 1000));
}

#[tokio::test]
async fn long_lived_message_is_copied_forward_with_its_states() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), small_segments()).unwrap();
    let ids = store_n(&spool, 300, 1000).await;
    spool
        .set_states(ids[0], &[(1, RcptState::Delivered)])
        .await
        .unwrap();
    for id in &ids[1..] {
        let all = [(0, RcptState::Delivered), (1, RcptState::Delivered)];
        spool.set_states(*id, &all).await.unwrap();
    }
    spool.compact().await;
    assert!(spool.stats().segments <= 3);
    spool.close().await;
    let (spool, rec) = Spool::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec.len(), 1);
    let states: Vec<_> = rec[0].envelope.recipients.iter().map(|r| r.state).collect();
    assert_eq!(states, [RcptState::Pending, RcptState::Delivered]);
    assert_eq!(spool.read_content(ids[0]).await.unwrap(), body(0, 1000));
}

#[tokio::test]
async fn sealed_segments_recover_from_hints_and_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), small_segments()).unwrap();
    let ids = store_n(&spool, 100, 1000).await;
    spool
        .set_states(ids[10], &[(0, RcptState::Failed)])
        .await
        .unwrap();
    spool.close().await;
    let hints = fs::read_dir(dir.path().join("segments"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "hint")
        .count();
    assert!(hints >= 5, "sealed segments have hints");
    let (spool, rec) = Spool::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec.len(), 100);
    assert_eq!(rec[10].envelope.recipients[0].state, RcptState::Failed);
    assert_eq!(spool.read_content(ids[50]).await.unwrap(), body(50, 1000));
    spool.close().await;
    // A damaged hint is ignored: the segment is scanned instead.
    let hint = dir.path().join("segments").join(format!("{:016x}.hint", 1));
    let mut bytes = fs::read(&hint).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&hint, bytes).unwrap();
    let (_spool, rec2) = Spool::open(dir.path(), small_segments()).unwrap();
    assert_eq!(rec2, rec);
}

#[tokio::test]
async fn large_content_spills_to_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SpoolOptions {
        spill_threshold: 4096,
        ..SpoolOptions::default()
    };
    let (spool, _) = Spool::open(dir.path(), opts.clone()).unwrap();
    let mut w = spool.content_writer();
    let big = body(1, 100_000);
    for chunk in big.chunks(1000) {
        w.write(chunk).unwrap();
    }
    assert_eq!(w.len(), 100_000);
    let content = w.finish();
    assert!(matches!(content, Content::Spilled { .. }));
    let id = spool
        .store(&envelope(&["a@x.example"]), content)
        .await
        .unwrap();
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    assert_eq!(spool.read_content(id).await.unwrap(), big);
    spool.close().await;
    let (spool, rec) = Spool::open(dir.path(), opts).unwrap();
    assert_eq!(rec[0].envelope.size, 100_000);
    assert_eq!(spool.read_content(id).await.unwrap(), big);
    spool
        .set_states(id, &[(0, RcptState::Delivered)])
        .await
        .unwrap();
    assert_eq!(fs::read_dir(dir.path().join("big")).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_stores_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let mut tasks = Vec::new();
    for t in 0..32 {
        let spool = spool.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..50 {
                let env = envelope(&["a@x.example"]);
                ids.push(
                    spool
                        .store(&env, body(t * 100 + i, 2048).into())
                        .await
                        .unwrap(),
                );
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 32 * 50);
    let stats = spool.stats();
    assert_eq!(stats.records, 1600);
    assert!(stats.fsyncs < 1600, "batched: {stats:?}");
}

#[tokio::test]
async fn offline_listing_shows_messages_and_states() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let ids = store_n(&spool, 2, 10).await;
    spool
        .set_states(ids[1], &[(1, RcptState::Delivered)])
        .await
        .unwrap();
    spool.close().await;
    let mut out = Vec::new();
    assert_eq!(list_offline(dir.path(), &mut out).unwrap(), 2);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!("{} received=2025-11-24T16:00:00Z", ids[0])),
        "{text}"
    );
    assert!(text.contains("from=<sender@feeder.example> vmta={default} size=10 rcpts=2"));
    assert!(text.contains("  delivered b@y.example"), "{text}");
    let mut out = Vec::new();
    list_offline_json(dir.path(), &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[1]["id"], ids[1].to_string());
    assert_eq!(v[1]["recipients"][1]["state"], "delivered");
    assert_eq!(v[0]["size"], 10);
}
