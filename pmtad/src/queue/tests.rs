//! Tests of the queue index: grouping, due order, retries, pause, paging, accounting.

use super::*;
use crate::envelope::{DEFAULT_VMTA, Recipient};

fn env(rcpts: &[&str], vmta: &str, received: u64, size: u64) -> Envelope {
    Envelope {
        mail_from: "s@feeder.example".into(),
        recipients: rcpts
            .iter()
            .map(|a| Recipient {
                address: (*a).into(),
                orcpt: None,
                state: RcptState::Pending,
                notify: Default::default(),
            })
            .collect(),
        vmta: vmta.into(),
        received_at: received,
        source_ip: None,
        size,
        env_id: None,
        job_id: None,
        helo: None,
        acct_headers: Vec::new(),
        auth_user: None,
    }
}

#[test]
fn groups_recipients_by_domain_and_vmta() {
    let mut qi = QueueIndex::new();
    let e = env(
        &["a@Gmail.com", "b@yahoo.com", "c@gmail.COM"],
        DEFAULT_VMTA,
        100,
        2000,
    );
    assert_eq!(qi.insert(MessageId(1), &e, 100), 3);
    let e2 = env(&["d@gmail.com"], "vmta2", 101, 500);
    qi.insert(MessageId(2), &e2, 101);
    let gmail = qi.queue_id("GMAIL.com", DEFAULT_VMTA).unwrap();
    let s = qi.summary(gmail);
    assert_eq!((s.recipients, s.messages, s.bytes), (2, 1, 2000));
    assert_eq!(&*s.domain, "gmail.com");
    assert_eq!(s.oldest, Some(100));
    assert_eq!(s.next_attempt, Some(100));
    assert!(qi.queue_id("gmail.com", "vmta2").is_some());
    assert_eq!(qi.summaries().count(), 3);
    assert_eq!(qi.recipients(), 4);
    let leases = qi.take_due(gmail, 100, 10);
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].message, MessageId(1));
    assert_eq!(leases[0].recipients, vec![0, 2]);
}

#[test]
fn skips_final_recipients_of_a_partly_delivered_message() {
    let mut qi = QueueIndex::new();
    let mut e = env(&["a@x.example", "b@x.example"], DEFAULT_VMTA, 1, 10);
    e.recipients[0].state = RcptState::Delivered;
    assert_eq!(qi.insert(MessageId(7), &e, 1), 1);
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    assert_eq!(qi.take_due(q, 1, 5)[0].recipients, vec![1]);
}

#[test]
fn take_due_is_fifo_and_batched() {
    let mut qi = QueueIndex::new();
    for i in 0..10 {
        qi.insert(MessageId(i), &env(&["a@x.example"], DEFAULT_VMTA, i, 1), 50);
    }
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let first: Vec<_> = qi
        .take_due(q, 50, 4)
        .into_iter()
        .map(|l| l.message.0)
        .collect();
    assert_eq!(first, [0, 1, 2, 3]);
    let s = qi.summary(q);
    assert_eq!((s.recipients, s.in_flight), (10, 4));
    assert_eq!(qi.take_due(q, 50, 100).len(), 6);
    assert!(qi.take_due(q, 50, 100).is_empty());
}

#[test]
fn requeued_work_waits_until_its_time_and_keeps_only_pending_recipients() {
    let mut qi = QueueIndex::new();
    qi.insert(
        MessageId(1),
        &env(
            &["a@x.example", "b@x.example", "c@x.example"],
            DEFAULT_VMTA,
            10,
            100,
        ),
        10,
    );
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let lease = qi.take_due(q, 10, 1).pop().unwrap();
    qi.requeue(lease, &[2], 70, "451 4.7.1 try later");
    let s = qi.summary(q);
    assert_eq!(
        (s.recipients, s.in_flight, s.next_attempt),
        (1, 0, Some(70))
    );
    assert_eq!(s.last_error.as_deref(), Some("451 4.7.1 try later"));
    assert!(qi.take_due(q, 69, 10).is_empty());
    assert!(qi.due_queues(69).is_empty());
    assert_eq!(qi.due_queues(70), vec![q]);
    let lease = qi.take_due(q, 70, 10).pop().unwrap();
    assert_eq!(lease.recipients, vec![2]);
    qi.finish(lease);
    let s = qi.summary(q);
    assert_eq!(
        (s.recipients, s.messages, s.bytes, s.oldest, s.next_attempt),
        (0, 0, 0, None, None)
    );
}

#[test]
fn requeue_with_nothing_pending_finishes() {
    let mut qi = QueueIndex::new();
    qi.insert(
        MessageId(1),
        &env(&["a@x.example"], DEFAULT_VMTA, 10, 100),
        10,
    );
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let lease = qi.take_due(q, 10, 1).pop().unwrap();
    qi.requeue(lease, &[], 99, "");
    assert_eq!(qi.summary(q).messages, 0);
}

#[test]
fn paused_queue_hands_out_nothing_and_keeps_mode() {
    let mut qi = QueueIndex::new();
    qi.insert(
        MessageId(1),
        &env(&["a@x.example"], DEFAULT_VMTA, 10, 100),
        10,
    );
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let pattern = QueuePattern::parse("x.example").unwrap();
    qi.record_rule(RuleAction::Pause, &pattern);
    qi.set_mode(q, Mode::Backoff);
    assert!(qi.take_due(q, 10, 1).is_empty());
    assert!(qi.due_queues(10).is_empty());
    let s = qi.summary(q);
    assert!(s.paused);
    assert_eq!(s.mode, Mode::Backoff);
    qi.record_rule(RuleAction::Resume, &pattern);
    assert_eq!(qi.take_due(q, 10, 1).len(), 1);
}

#[test]
fn oldest_follows_removals() {
    let mut qi = QueueIndex::new();
    for i in 0..3 {
        qi.insert(
            MessageId(i),
            &env(&["a@x.example"], DEFAULT_VMTA, 100 + i, 1),
            200,
        );
    }
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let lease = qi.take_due(q, 200, 1).pop().unwrap();
    qi.finish(lease);
    assert_eq!(qi.summary(q).oldest, Some(101));
}

#[test]
fn list_and_delete_page_through_a_queue() {
    let mut qi = QueueIndex::new();
    for i in 0..25 {
        qi.insert(MessageId(i), &env(&["a@x.example"], DEFAULT_VMTA, i, 10), 0);
    }
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let inflight = qi.take_due(q, 0, 1).pop().unwrap();
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let page = qi.list(q, cursor, 10);
        seen.extend(page.items.iter().map(|e| e.message.0));
        match page.next {
            Some(n) => cursor = n,
            None => break,
        }
    }
    assert_eq!(seen, (0..25).collect::<Vec<_>>());
    assert_eq!(qi.list(q, 0, 1).items[0].state, EntryState::InFlight);
    let mut deleted = 0;
    let mut cursor = 0;
    loop {
        let page = qi.delete(q, cursor, 7);
        deleted += page.items.len();
        match page.next {
            Some(n) => cursor = n,
            None => break,
        }
    }
    assert_eq!(deleted, 24, "in-flight entries are not deleted");
    let s = qi.summary(q);
    assert_eq!((s.recipients, s.messages, s.bytes), (1, 1, 10));
    assert!(
        qi.take_due(q, 0, 100).is_empty(),
        "deleted entries are never handed out"
    );
    qi.finish(inflight);
    // Slots of deleted entries are reused by new arrivals without confusion.
    for i in 100..105 {
        qi.insert(MessageId(i), &env(&["a@x.example"], DEFAULT_VMTA, i, 10), 0);
    }
    let got: Vec<_> = qi
        .take_due(q, 0, 100)
        .into_iter()
        .map(|l| l.message.0)
        .collect();
    assert_eq!(got, [100, 101, 102, 103, 104]);
}

#[test]
fn deleted_retries_are_not_handed_out_after_slot_reuse() {
    let mut qi = QueueIndex::new();
    qi.insert(MessageId(1), &env(&["a@x.example"], DEFAULT_VMTA, 0, 1), 0);
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let lease = qi.take_due(q, 0, 1).pop().unwrap();
    qi.requeue(lease, &[0], 10, "later");
    assert_eq!(qi.delete(q, 0, 10).items.len(), 1);
    qi.insert(MessageId(2), &env(&["a@x.example"], DEFAULT_VMTA, 0, 1), 5);
    qi.insert(MessageId(3), &env(&["a@x.example"], DEFAULT_VMTA, 0, 1), 5);
    let got: Vec<_> = qi
        .take_due(q, 20, 10)
        .into_iter()
        .map(|l| l.message.0)
        .collect();
    assert_eq!(
        got,
        [2, 3],
        "the deleted retry is gone, each live entry handed out once"
    );
    assert!(qi.take_due(q, 20, 10).is_empty());
}

#[test]
fn mass_delete_purges_stale_entries() {
    let mut qi = QueueIndex::new();
    for i in 0..5000 {
        qi.insert(MessageId(i), &env(&["a@x.example"], DEFAULT_VMTA, 0, 1), 0);
    }
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let page = qi.delete(q, 0, 4000);
    assert_eq!(page.items.len(), 4000);
    let got = qi.take_due(q, 0, 10_000);
    assert_eq!(got.len(), 1000);
    assert_eq!(got[0].message, MessageId(4000));
}

#[test]
fn schedule_makes_waiting_retries_due_now_and_attempts_count() {
    let mut qi = QueueIndex::new();
    qi.insert(
        MessageId(1),
        &env(&["a@x.example"], DEFAULT_VMTA, 10, 100),
        10,
    );
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let lease = qi.take_due(q, 10, 1).pop().unwrap();
    qi.requeue(lease, &[0], 1_000, "451 try later");
    assert!(qi.take_due(q, 20, 1).is_empty());
    assert_eq!(qi.list(q, 0, 10).items[0].attempts, 1);
    assert_eq!(qi.retry_now(q, 20), 1);
    assert_eq!(qi.summary(q).next_attempt, Some(20));
    let lease = qi.take_due(q, 20, 1).pop().unwrap();
    // Work given back untried (a limit stopped it) is not an attempt.
    qi.requeue(lease, &[0], 30, "");
    assert_eq!(qi.list(q, 0, 10).items[0].attempts, 1);
    assert_eq!(qi.summary(q).last_error.as_deref(), Some("451 try later"));
}

#[test]
fn pause_rules_pause_queues_created_later() {
    let mut qi = QueueIndex::new();
    qi.insert(MessageId(1), &env(&["a@gmail.com"], DEFAULT_VMTA, 1, 1), 1);
    qi.record_rule(
        RuleAction::Pause,
        &QueuePattern::parse("gmail.com/*").unwrap(),
    );
    qi.load_rule(
        RuleAction::Pause,
        QueuePattern::parse("*.example.com").unwrap(),
    );
    // Mail for a virtual MTA that had no queue when the pause was made.
    qi.insert(
        MessageId(2),
        &env(
            &["a@gmail.com", "b@a.example.com", "c@yahoo.com"],
            "vmta1",
            1,
            1,
        ),
        1,
    );
    let paused = |qi: &QueueIndex, d: &str, v: &str| qi.is_paused(qi.queue_id(d, v).unwrap());
    assert!(paused(&qi, "gmail.com", DEFAULT_VMTA));
    assert!(paused(&qi, "gmail.com", "vmta1"));
    assert!(paused(&qi, "a.example.com", "vmta1"));
    assert!(!paused(&qi, "yahoo.com", "vmta1"));
    assert!(
        qi.take_due(qi.queue_id("gmail.com", "vmta1").unwrap(), 1, 9)
            .is_empty()
    );
    qi.record_rule(
        RuleAction::Resume,
        &QueuePattern::parse("gmail.com").unwrap(),
    );
    assert_eq!(qi.rules().all().len(), 1);
    assert!(!paused(&qi, "gmail.com", "vmta1"));
    qi.record_rule(RuleAction::Resume, &QueuePattern::all());
    assert!(qi.rules().all().is_empty());
    assert!(!paused(&qi, "a.example.com", "vmta1"));
}

#[test]
fn delete_older_than_keeps_newer_messages_and_domain_lookup_finds_every_vmta() {
    let mut qi = QueueIndex::new();
    qi.insert(
        MessageId(1),
        &env(&["a@x.example"], DEFAULT_VMTA, 100, 1),
        100,
    );
    qi.insert(
        MessageId(2),
        &env(&["b@x.example"], DEFAULT_VMTA, 200, 1),
        200,
    );
    qi.insert(MessageId(3), &env(&["c@x.example"], "v2", 200, 1), 200);
    let q = qi.queue_id("x.example", DEFAULT_VMTA).unwrap();
    let page = qi.delete_received_before(q, 0, 10, Some(150));
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].message, MessageId(1));
    assert_eq!(qi.summary(q).recipients, 1);
    assert_eq!(qi.queues_of_domain("X.example").len(), 2);
    assert!(qi.queues_of_domain("nowhere.example").is_empty());
    assert_eq!(qi.len(), 2);
    let (d, v) = qi.names_of(qi.queue_at(1).unwrap());
    assert_eq!((&**d, &**v), ("x.example", "v2"));
}

#[test]
fn a_fleet_wide_pause_holds_existing_and_later_queues_until_lifted() {
    let mut qi = QueueIndex::new();
    let p = proto::QueuePattern::parse("gmail.com/*").unwrap();
    assert!(qi.set_cluster_pauses(vec![p.clone()]));
    assert!(!qi.set_cluster_pauses(vec![p]), "the same set is no change");
    let e = env(&["a@gmail.com"], DEFAULT_VMTA, 1, 10);
    qi.insert(MessageId(1), &e, 10);
    let q = qi.queue_id("gmail.com", DEFAULT_VMTA).unwrap();
    assert!(qi.is_paused(q), "a queue created after the pause is held");
    assert!(qi.set_cluster_pauses(Vec::new()));
    assert!(!qi.is_paused(q));
}
