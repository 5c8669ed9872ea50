//! Local delivery through real child processes.

use super::*;

const MSG: &[u8] = b"Subject: local\r\n\r\nhello\r\n";
const T: Duration = Duration::from_secs(20);

fn sh(script: &str, extra: &str) -> LocalCommand {
    LocalCommand::parse(&format!("/bin/sh -c '{script}' sh {extra}"), T).unwrap()
}

#[tokio::test]
async fn writes_the_message_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = sh(
        r#"cat > "$1""#,
        &format!("{}/$user@$domain.mbox", dir.path().display()),
    );
    let out = cmd
        .deliver("a@x.test", "bob@local.test", &[b"X: 1\r\n", MSG])
        .await;
    assert!(
        matches!(
            out,
            Outcome::Delivered {
                by: Producer::Local { .. },
                ..
            }
        ),
        "{out:?}"
    );
    let written = std::fs::read(dir.path().join("bob@local.test.mbox")).unwrap();
    assert_eq!(written, b"X: 1\r\nSubject: local\r\n\r\nhello\r\n");
}

#[tokio::test]
async fn variables_expand_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("args");
    let cmd = sh(
        r#"printf "%s|%s|%s|%s|%s" "$1" "$2" "$3" "$4" "$5" > "$6""#,
        &format!("$to $from ${{domain}} $user $$x {}", out_file.display()),
    );
    let rcpt = "we;ird$(id)@local.test";
    assert!(matches!(
        cmd.deliver("", rcpt, &[MSG]).await,
        Outcome::Delivered { .. }
    ));
    let args = std::fs::read_to_string(out_file).unwrap();
    assert_eq!(args, "we;ird$(id)@local.test||local.test|we;ird$(id)|$$x");
}

#[tokio::test]
async fn exit_codes_map_to_outcomes() {
    let cases = [
        ("exit 75", "transient", "4.0.0"),
        ("echo no such user >&2; exit 67", "permanent", "5.1.1"),
        ("exit 68", "permanent", "5.1.2"),
        ("exit 77", "permanent", "5.7.1"),
        ("exit 1", "permanent", "5.3.0"),
        ("kill -9 $$", "transient", "4.3.0"),
    ];
    for (script, kind, status) in cases {
        let out = sh(&format!("cat >/dev/null; {script}"), "")
            .deliver("a@x.test", "b@l.test", &[MSG])
            .await;
        let got = match &out {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Transient { .. } => "transient",
            Outcome::Permanent { .. } => "permanent",
        };
        assert_eq!(
            (got, out.reply().enhanced.as_deref()),
            (kind, Some(status)),
            "{script}"
        );
    }
    let out = sh("echo no such user >&2; exit 67", "")
        .deliver("a", "b@l", &[MSG])
        .await;
    assert!(out.reply().text.contains("no such user"), "{out:?}");
}

#[tokio::test]
async fn timeouts_and_missing_programs_are_retried() {
    let cmd =
        LocalCommand::parse("/bin/sh -c 'exec sleep 30'", Duration::from_millis(300)).unwrap();
    let out = cmd.deliver("a@x.test", "b@l.test", &[MSG]).await;
    assert!(matches!(out, Outcome::Transient { .. }), "{out:?}");
    assert!(out.reply().text.contains("timed out"));
    let cmd = LocalCommand::parse("/nonexistent/deliver $to", T).unwrap();
    let out = cmd.deliver("a@x.test", "b@l.test", &[MSG]).await;
    assert!(matches!(out, Outcome::Transient { .. }), "{out:?}");
    assert_eq!(out.reply().enhanced.as_deref(), Some("4.3.5"));
}

#[test]
fn command_lines_split_like_a_shell_without_expansion() {
    assert_eq!(
        split_words(r#"/bin/x -a "b c" 'd "e"' f"#).unwrap(),
        ["/bin/x", "-a", "b c", r#"d "e""#, "f"]
    );
    assert_eq!(split_words(r#"x """#).unwrap(), ["x", ""]);
    assert_eq!(split_words("x 'open"), Err(LocalError::Quote));
    assert_eq!(LocalCommand::parse("  ", T).unwrap_err(), LocalError::Empty);
    assert_eq!(
        LocalCommand::from_argv(&[], T).unwrap_err(),
        LocalError::Empty
    );
    let argv = ["/bin/x".to_string(), "$to".to_string()];
    assert_eq!(
        LocalCommand::from_argv(&argv, T).unwrap().display,
        "/bin/x $to"
    );
}
