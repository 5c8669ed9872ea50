//! `<acct-file |COMMAND>`: a real pmtad feeds its accounting records to a program.

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::SmtpSink;

/// The program (a shell command run in pmtad's directory) receives the CSV header, then a
/// `d` record per delivered recipient, as the file beside it does.
#[tokio::test]
async fn delivery_records_reach_an_accounting_pipe() {
    let sink = sink_on("127.0.0.71", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("pipe.test", "127.0.0.71")
        .start()
        .await
        .unwrap();
    let config = format!(
        "{}<acct-file \"|cat >> pipe.csv\">\n  records d\n  retry-interval 1s\n</acct-file>\n",
        base_config(&dns, sink.addr().port())
    );
    let world = World::start(&config);
    let r = world
        .inject(&[msg("s@src.test", &["a@pipe.test", "b@pipe.test"], 1)])
        .await;
    assert_eq!(r[0].code, 250);
    sink.wait_for_messages(1, WAIT).await.expect("delivered");
    let path = world.path("pipe.csv");
    wait_for(|| std::fs::read_to_string(&path).is_ok_and(|t| t.matches("\nd,").count() == 2)).await;
    let mut rd = csv::Reader::from_path(&path).unwrap();
    let header = rd.headers().unwrap().clone();
    let rcpt = header
        .iter()
        .position(|h| h == "rcpt")
        .expect("rcpt column");
    let mut rcpts: Vec<String> = rd.records().map(|r| r.unwrap()[rcpt].to_string()).collect();
    rcpts.sort();
    assert_eq!(rcpts, ["a@pipe.test", "b@pipe.test"]);
}
