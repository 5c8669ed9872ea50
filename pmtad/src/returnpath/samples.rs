//! Reports shaped like the ones real providers send, built around the header of a message
//! pmtad sent (`original`: header fields, CRLF line ends, no blank line). Used by the unit
//! and fuzz tests here, the end-to-end tests and the `returnpath` benchmark, so all three
//! exercise the same shapes.

/// An RFC 3464 DSN (as Postfix sends it) for `rcpt`, returning `original`'s header.
pub fn dsn(original: &str, rcpt: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\r\n\
         To: bounces@pmtad.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\
         \r\n\
         --B1\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         I'm sorry to have to inform you that your message could not\r\n\
         be delivered to one or more recipients.\r\n\
         \r\n\
         --B1\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.remote.example\r\n\
         Original-Envelope-Id: ENV-42\r\n\
         Arrival-Date: Thu, 3 Dec 2026 12:00:00 +0000\r\n\
         \r\n\
         Final-Recipient: rfc822; {rcpt}\r\n\
         Original-Recipient: rfc822; {rcpt}\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Remote-MTA: dns; mailstore.remote.example\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected:\r\n\
         \x20   User unknown in virtual mailbox table\r\n\
         \r\n\
         --B1\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         {original}\r\n\
         --B1--\r\n"
    )
}

/// Gmail's "Address not found" bounce (text and HTML, the original attached).
pub fn gmail(original: &str, rcpt: &str) -> String {
    format!(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n\
         To: bounces@pmtad.example\r\n\
         Subject: Delivery Status Notification (Failure)\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"G1\"\r\n\
         \r\n\
         --G1\r\n\
         Content-Type: multipart/alternative; boundary=\"G2\"\r\n\
         \r\n\
         --G2\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         ** Address not found **\r\n\
         \r\n\
         Your message wasn't delivered to {rcpt} because the address couldn't be\r\n\
         found, or is unable to receive mail.\r\n\
         \r\n\
         The response from the remote server was:\r\n\
         550 5.1.1 The email account that you tried to reach does not exist. gsmtp\r\n\
         \r\n\
         --G2\r\n\
         Content-Type: text/html; charset=UTF-8\r\n\
         \r\n\
         <html><body><h2>Address not found</h2><p>Your message wasn't delivered.</p></body></html>\r\n\
         --G2--\r\n\
         --G1\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         {original}\r\n\
         \r\n\
         hello\r\n\
         --G1--\r\n"
    )
}

/// An Exchange Online / Outlook.com "Undeliverable:" NDR, the original's header quoted in
/// the text (no RFC 3464 part).
pub fn microsoft(original: &str, rcpt: &str) -> String {
    format!(
        "From: postmaster@outlook.example\r\n\
         To: bounces@pmtad.example\r\n\
         Subject: Undeliverable: hello\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         Your message to {rcpt} couldn't be delivered.\r\n\
         \r\n\
         Delivery has failed to these recipients or groups:\r\n\
         \r\n\
         {rcpt} ({rcpt})\r\n\
         The email address you entered couldn't be found.\r\n\
         \r\n\
         Diagnostic information for administrators:\r\n\
         \r\n\
         Generating server: AM0PR01MB1234.eurprd01.prod.outlook.com\r\n\
         \r\n\
         {rcpt}\r\n\
         Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\r\n\
         \r\n\
         Original message headers:\r\n\
         \r\n\
         {original}\r\n"
    )
}

/// An ARF abuse report as Yahoo sends it (Microsoft's JMRP in ARF form is the same shape).
pub fn arf(original: &str, rcpt: &str, source_ip: &str) -> String {
    format!(
        "From: feedback@arf.mail.yahoo.example\r\n\
         To: fbl@pmtad.example\r\n\
         Subject: FW: hello\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"A1\"\r\n\
         \r\n\
         --A1\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         This is an email abuse report for an email message received from IP {source_ip}.\r\n\
         \r\n\
         --A1\r\n\
         Content-Type: message/feedback-report\r\n\
         \r\n\
         Feedback-Type: abuse\r\n\
         User-Agent: Yahoo!-Mail-Feedback/2.0\r\n\
         Version: 1\r\n\
         Original-Mail-From: <sender@pmtad.example>\r\n\
         Original-Rcpt-To: <{rcpt}>\r\n\
         Arrival-Date: Thu, 03 Dec 2026 12:00:00 +0000\r\n\
         Reporting-MTA: dns; mta1.feedback.yahoo.example\r\n\
         Source-IP: {source_ip}\r\n\
         Reported-Domain: pmtad.example\r\n\
         \r\n\
         --A1\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         {original}\r\n\
         \r\n\
         hello\r\n\
         --A1--\r\n"
    )
}

/// The header of a message as pmtad sent it, with its stamp line (`stamp` includes the
/// field name and CRLF, as `ReturnPath::stamp_line` gives it).
pub fn original(stamp: &str, rcpt: &str) -> String {
    format!(
        "{stamp}Received: from feeder.example ([127.0.0.1]) by pmtad.example\r\n\
         From: Sender <sender@pmtad.example>\r\n\
         To: <{rcpt}>\r\n\
         Subject: hello\r\n\
         Message-ID: <m1@pmtad.example>\r\n\
         X-Job: job-7"
    )
}
