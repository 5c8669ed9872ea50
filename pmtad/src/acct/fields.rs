//! Record types and columns of the accounting CSV, and how `record-fields` selects them.
//!
//! Both are closed sets: the file format is a contract with operators' scripts, so a column
//! name that is not one of PowerMTA's is a configuration error, never a silently empty column.

use super::AcctError;

/// One kind of accounting record (PowerMTA's `records` values we produce).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// `d`: accepted by the destination (or the local command).
    Delivery,
    /// `b`: a bounce generated here (5xx, expiry, no MX...).
    Bounce,
    /// `t`: a per-recipient transient failure (4xx).
    Transient,
    /// `tq`: a queue-level transient failure (connection refused, 421 greeting...).
    TransientQueue,
    /// `r`: a recipient received (after the 250 at end of DATA).
    Receipt,
    /// `rb`: a remote (asynchronous) bounce parsed by the `<bounce-processor>`.
    RemoteBounce,
    /// `rs`: a remote delay or success notice (DSN `Action: delayed`, `delivered`,
    /// `relayed`, `expanded`) parsed by the `<bounce-processor>`.
    RemoteStatus,
    /// `f`: a complaint (ARF / JMRP) parsed by the `<feedback-loop-processor>`.
    FeedbackLoop,
}

impl RecordType {
    /// Every type, in the order their columns are merged into a file's header.
    pub const ALL: [RecordType; 8] = [
        RecordType::Delivery,
        RecordType::Bounce,
        RecordType::Transient,
        RecordType::TransientQueue,
        RecordType::Receipt,
        RecordType::RemoteBounce,
        RecordType::RemoteStatus,
        RecordType::FeedbackLoop,
    ];

    /// The record a recipient's outcome makes: `d` for a delivery, `t` for a transient
    /// failure, `b` for a permanent one. The one mapping: the record builder and the
    /// daemon's "does any output want this record" check both call it.
    pub fn of(outcome: &crate::outcome::Outcome) -> RecordType {
        use crate::outcome::Outcome;
        match outcome {
            Outcome::Delivered { .. } => RecordType::Delivery,
            Outcome::Transient { .. } => RecordType::Transient,
            Outcome::Permanent { .. } => RecordType::Bounce,
        }
    }

    /// The value of the `type` column.
    pub fn code(self) -> &'static str {
        match self {
            RecordType::Delivery => "d",
            RecordType::Bounce => "b",
            RecordType::Transient => "t",
            RecordType::TransientQueue => "tq",
            RecordType::Receipt => "r",
            RecordType::RemoteBounce => "rb",
            RecordType::RemoteStatus => "rs",
            RecordType::FeedbackLoop => "f",
        }
    }

    /// Parses a `records` item: the short or the long PowerMTA name.
    pub fn parse(s: &str) -> Result<RecordType, AcctError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "d" | "delivery" => RecordType::Delivery,
            "b" | "bounce" => RecordType::Bounce,
            "t" | "transient" => RecordType::Transient,
            "tq" | "transient-queue" => RecordType::TransientQueue,
            "r" | "receipt" => RecordType::Receipt,
            "rb" | "remote-bounce" => RecordType::RemoteBounce,
            "rs" | "remote-status" => RecordType::RemoteStatus,
            "f" | "feedback-loop" => RecordType::FeedbackLoop,
            other => return Err(AcctError::UnknownRecordType(other.to_string())),
        })
    }

    /// The columns `*` stands for (PowerMTA's documented defaults).
    pub fn default_fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            RecordType::Delivery | RecordType::Bounce | RecordType::Transient => &DELIVERY_FIELDS,
            RecordType::TransientQueue => &[
                Type,
                TimeLogged,
                DsnStatus,
                DsnDiag,
                DsnMta,
                DlvType,
                DlvSourceIp,
                DlvDestinationIp,
                Vmta,
                Queue,
            ],
            RecordType::Receipt => &[
                Type,
                TimeLogged,
                Orig,
                Rcpt,
                Orcpt,
                SrcType,
                SrcMta,
                RcvSourceIp,
                RcvDestinationIp,
                Vmta,
                VmtaPool,
                JobId,
                EnvId,
            ],
            RecordType::RemoteBounce => &REMOTE_BOUNCE_FIELDS,
            RecordType::RemoteStatus => &REMOTE_STATUS_FIELDS,
            RecordType::FeedbackLoop => &FEEDBACK_FIELDS,
        }
    }
}

/// PowerMTA's `rb` columns, then pmtad's `jobId` and `vmta` of the matched message.
static REMOTE_BOUNCE_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| {
    use Field::*;
    vec![
        Type,
        TimeLogged,
        Orig,
        Rcpt,
        Orcpt,
        DsnStatus,
        DsnDiag,
        DsnMta,
        DsnReportingMta,
        BounceCat,
        SrcType,
        SrcMta,
        EnvId,
        Format,
        JobId,
        Vmta,
    ]
});

/// PowerMTA's `rs` columns (the `rb` ones with `dsnAction`), then `jobId` and `vmta`.
static REMOTE_STATUS_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| {
    let mut f = REMOTE_BOUNCE_FIELDS.clone();
    f.insert(5, Field::DsnAction);
    f
});

/// PowerMTA's `f` columns (with its default `header_*` ones), then `jobId` and `vmta`.
static FEEDBACK_FIELDS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| {
    use Field::*;
    vec![
        Type,
        TimeLogged,
        RepSourceIp,
        FeedbackType,
        Format,
        UserAgent,
        EnvId,
        Orig,
        Rcpt,
        ReportingMta,
        DlvSourceIp,
        ReportedDomain,
        Header("header_From".into()),
        Header("header_Return-Path".into()),
        Header("header_X-job".into()),
        Header("header_Subject".into()),
        JobId,
        Vmta,
    ]
});

/// PowerMTA's default column order for `d`, `b` and `t` records.
pub const DELIVERY_FIELDS: [Field; 23] = {
    use Field::*;
    [
        Type,
        TimeLogged,
        TimeQueued,
        Orig,
        Rcpt,
        Orcpt,
        DsnAction,
        DsnStatus,
        DsnDiag,
        DsnMta,
        BounceCat,
        SrcType,
        SrcMta,
        DlvType,
        DlvSourceIp,
        DlvDestinationIp,
        DlvEsmtpAvailable,
        DlvSize,
        Vmta,
        JobId,
        EnvId,
        Queue,
        VmtaPool,
    ]
};

/// One column of the accounting CSV.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Type,
    TimeLogged,
    TimeQueued,
    Orig,
    Rcpt,
    Orcpt,
    DsnAction,
    DsnStatus,
    DsnDiag,
    DsnMta,
    BounceCat,
    SrcType,
    SrcMta,
    DlvType,
    DlvSourceIp,
    DlvDestinationIp,
    DlvEsmtpAvailable,
    DlvSize,
    Vmta,
    JobId,
    EnvId,
    Queue,
    VmtaPool,
    /// Optional extras, only when `record-fields` names them.
    TotalSecondsQueued,
    UserString,
    DlvTlsProtocol,
    DlvTlsCipher,
    RcvSourceIp,
    RcvDestinationIp,
    /// The user the feeder authenticated as (SMTP AUTH).
    RcvSmtpUser,
    /// `rb`: the DSN's `Reporting-MTA`.
    DsnReportingMta,
    /// `rb`/`f`: how the report was read (`dsn`, `gmail`, `microsoft`, `qmail`, `arf`,
    /// `jmrp`).
    Format,
    /// `f`: the address of the host that sent us the report.
    RepSourceIp,
    /// `f`: ARF `Feedback-Type` (`abuse`, `fraud`, ...).
    FeedbackType,
    /// `f`: ARF `User-Agent`.
    UserAgent,
    /// `f`: ARF `Reporting-MTA`.
    ReportingMta,
    /// `f`: ARF `Reported-Domain` (comma-separated when several).
    ReportedDomain,
    /// `header_NAME`: a message header captured at intake (name kept as configured).
    Header(String),
}

/// Column names, in the same order as the unit variants above.
const NAMES: [(&str, Field); 37] = {
    use Field::*;
    [
        ("type", Type),
        ("timeLogged", TimeLogged),
        ("timeQueued", TimeQueued),
        ("orig", Orig),
        ("rcpt", Rcpt),
        ("orcpt", Orcpt),
        ("dsnAction", DsnAction),
        ("dsnStatus", DsnStatus),
        ("dsnDiag", DsnDiag),
        ("dsnMta", DsnMta),
        ("bounceCat", BounceCat),
        ("srcType", SrcType),
        ("srcMta", SrcMta),
        ("dlvType", DlvType),
        ("dlvSourceIp", DlvSourceIp),
        ("dlvDestinationIp", DlvDestinationIp),
        ("dlvEsmtpAvailable", DlvEsmtpAvailable),
        ("dlvSize", DlvSize),
        ("vmta", Vmta),
        ("jobId", JobId),
        ("envId", EnvId),
        ("queue", Queue),
        ("vmtaPool", VmtaPool),
        ("totalSecondsQueued", TotalSecondsQueued),
        ("userString", UserString),
        ("dlvTlsProtocol", DlvTlsProtocol),
        ("dlvTlsCipher", DlvTlsCipher),
        ("rcvSourceIp", RcvSourceIp),
        ("rcvDestinationIp", RcvDestinationIp),
        ("rcvSmtpUser", RcvSmtpUser),
        ("dsnReportingMta", DsnReportingMta),
        ("format", Format),
        ("repSourceIp", RepSourceIp),
        ("feedbackType", FeedbackType),
        ("userAgent", UserAgent),
        ("reportingMta", ReportingMta),
        ("reportedDomain", ReportedDomain),
    ]
};

impl Field {
    /// The header-row name of this column.
    pub fn name(&self) -> &str {
        match self {
            Field::Header(n) => n,
            f => NAMES.iter().find(|(_, v)| v == f).map_or("", |(n, _)| n),
        }
    }

    /// Parses a column name (case-insensitive, as config directives are); `header_X` keeps X.
    pub fn parse(s: &str) -> Result<Field, AcctError> {
        let s = s.trim();
        if let Some(name) = strip_prefix_ci(s, "header_") {
            if name.is_empty() {
                return Err(AcctError::UnknownField(s.to_string()));
            }
            return Ok(Field::Header(format!("header_{name}")));
        }
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, f)| f.clone())
            .ok_or_else(|| AcctError::UnknownField(s.to_string()))
    }

    /// For `header_X` columns, the header name X.
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Field::Header(n) => Some(&n["header_".len()..]),
            _ => None,
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Applies one `record-fields TYPE LIST` value: `*` = the defaults, `!f` removes, other
/// items add. `type` is always the first column and cannot be removed.
pub fn select_fields(kind: RecordType, spec: &str) -> Result<Vec<Field>, AcctError> {
    let mut out = vec![Field::Type];
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item == "*" {
            extend_unique(&mut out, kind.default_fields());
        } else if let Some(name) = item.strip_prefix('!') {
            let f = Field::parse(name)?;
            if f != Field::Type {
                out.retain(|x| *x != f);
            }
        } else {
            extend_unique(&mut out, &[Field::parse(item)?]);
        }
    }
    Ok(out)
}

/// Appends the fields not yet present, keeping first-seen order.
pub fn extend_unique(out: &mut Vec<Field>, fields: &[Field]) {
    for f in fields {
        if !out.contains(f) {
            out.push(f.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (n, f) in NAMES.iter() {
            assert_eq!(f.name(), *n);
            assert_eq!(Field::parse(n).unwrap(), *f);
        }
        assert!(Field::parse("nosuch").is_err());
    }

    #[test]
    fn record_fields_spec() {
        let f = select_fields(RecordType::Delivery, "*,!orcpt,header_Message-Id").unwrap();
        assert_eq!(f.len(), 23);
        assert!(!f.contains(&Field::Orcpt));
        assert_eq!(f.last().unwrap().name(), "header_Message-Id");
        assert_eq!(f.last().unwrap().header_name(), Some("Message-Id"));
        let f = select_fields(RecordType::Bounce, "rcpt,!type,dsnStatus").unwrap();
        assert_eq!(f, vec![Field::Type, Field::Rcpt, Field::DsnStatus]);
    }
}
