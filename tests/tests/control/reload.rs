//! `reload`: a config with errors is refused as a whole, listed error by error, and the
//! daemon keeps delivering under the configuration it had; a good one is applied.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_reload_exits_1_listing_every_error_and_delivery_goes_on() {
    let w = World::start("127.0.0.64", &["r.test"]).await;
    let conf = w.path("pmta.conf");
    let good = std::fs::read_to_string(&conf).unwrap();
    let lines = good.lines().count();
    std::fs::write(
        &conf,
        format!("{good}bogus-directive 1\n<domain r.test>\n  max-smtp-out lots\n</domain>\n"),
    )
    .unwrap();

    let out = w.ctl(&["--json", "reload"], 1);
    let err = &json(&out)["error"];
    assert_eq!(err["kind"], "config_rejected");
    let diags = err["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2, "{err:#}");
    assert_eq!(diags[0]["line"], lines + 1);
    assert_eq!(diags[1]["line"], lines + 3);
    assert!(
        diags
            .iter()
            .all(|d| d["file"].as_str().unwrap().ends_with("pmta.conf"))
    );
    let text = stderr(&out);
    assert!(
        text.contains(&format!("pmta.conf:{}:", lines + 1)),
        "{text}"
    );
    assert!(text.contains("unchanged"), "{text}");

    let check = w.ctl(&["--json", "test", "config"], 1);
    assert_eq!(json(&check)["errors"].as_array().unwrap().len(), 2);

    // The old configuration still runs: mail for r.test is delivered (port, retry, tls).
    w.inject(&[&["a@r.test"]]).await;
    w.wait_delivered(1).await;

    std::fs::write(
        &conf,
        format!("{good}<domain r.test>\n  max-smtp-out 3\n</domain>\n"),
    )
    .unwrap();
    let ok = w.json(&["reload"]);
    assert!(ok["config_file"].as_str().unwrap().ends_with("pmta.conf"));
    let s = w.json(&["show", "settings", "r.test"]);
    let max = find(&s["queue_settings"], "name", "max-smtp-out");
    assert_eq!(max["value"], "3");
    assert!(
        max["origin"]
            .as_str()
            .unwrap()
            .ends_with(&format!("pmta.conf:{}", lines + 2)),
        "{max}"
    );
    w.inject(&[&["b@r.test"]]).await;
    w.wait_delivered(2).await;
}
