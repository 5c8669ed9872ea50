//! `man/pmta.conf.5`, generated from the directive table so the page cannot drift.
//! Regenerate with `scripts/gen-docs` (which runs `examples/gen-man.rs`).

use crate::table::{BLOCKS, DIRECTIVES, DirectiveDef, NOT_YET_BLOCKS, Status, scope_list};

/// The whole page, in roff.
pub fn render() -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str(".SH BLOCKS\n");
    for (name, _, parents, doc) in BLOCKS {
        out.push_str(&format!(
            ".TP\n.B \"<{} ARG>\"\n{}\n(in: {})\n",
            esc(name),
            esc(doc),
            scope_list(*parents)
        ));
    }
    out.push_str(".SH DIRECTIVES\n");
    out.push_str("Defaults are in brackets. Each entry names the blocks where it may stand.\n");
    for def in DIRECTIVES.iter().filter(|d| d.status != Status::NotYet) {
        out.push_str(&entry(def));
    }
    out.push_str(NOT_YET_INTRO);
    for def in DIRECTIVES.iter().filter(|d| d.status == Status::NotYet) {
        out.push_str(&format!(
            ".TP\n.B {}\n{} (in: {})\n",
            esc(def.name),
            esc(def.doc),
            scope_list(def.scopes)
        ));
    }
    out.push_str(".PP\nBlocks accepted with a warning, contents ignored:\n");
    let blocks: Vec<String> = NOT_YET_BLOCKS.iter().map(|b| format!("<{b}>")).collect();
    out.push_str(&esc(&blocks.join(", ")));
    out.push('\n');
    out.push_str(CLUSTER);
    out.push_str(FOOTER);
    out
}

fn entry(def: &DirectiveDef) -> String {
    let default = if def.default.is_empty() {
        String::new()
    } else {
        format!(" [{}]", def.default)
    };
    let alias = match def.status {
        Status::AliasOf(target) => format!(" Same as \\fB{target}\\fR."),
        _ => String::new(),
    };
    let repeat = if def.repeatable { " Repeatable." } else { "" };
    format!(
        ".TP\n.B {} \\fI{}\\fR{}\n{}{}{} (in: {})\n",
        esc(def.name),
        esc(def.kind.syntax()),
        esc(&default),
        esc(def.doc),
        alias,
        repeat,
        scope_list(def.scopes)
    )
}

/// Escapes roff specials: backslash, and a leading dot or quote.
fn esc(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

const HEADER: &str = r#".TH PMTA.CONF 5 "" "pmtad" "File Formats"
.SH NAME
pmta.conf \- configuration file of pmtad, a PowerMTA\-class mail transfer agent
.SH SYNOPSIS
.B pmtad \-\-config FILE \-\-check\-config
.SH DESCRIPTION
One \fIdirective value\fR per line. Directive names are case\-insensitive.
\fB#\fR starts a comment anywhere on a line (outside double quotes).
Values may be double\-quoted; backslash escapes the next character inside quotes;
\fB""\fR clears an inherited value. Blocks are \fB<name ARG>\fR ... \fB</name>\fR.
\fBinclude FILE\fR (globs allowed, relative to the including file) inlines other files.
Relative paths are relative to the directory of the file that names them.
.PP
Values: sizes \fB25M\fR, \fB10K\fR, \fB1G\fR, bare bytes, \fBunlimited\fR;
durations \fB10s\fR, \fB5m\fR, \fB1h\fR, \fB4d12h\fR, bare seconds;
rates \fB500/h\fR, \fB83/10m\fR, \fBunlimited\fR;
booleans \fByes no true false on off\fR; CIDRs \fB10.0.0.0/8\fR, \fB10/8\fR, \fB0/0\fR.
.PP
A queue is a (recipient domain, virtual MTA) pair. Its settings merge per directive:
\fB<domain>\fR blocks inside the virtual MTA beat those inside a pool holding it, which
beat top\-level ones; within a scope, \fB*\fR < \fB[*.]x\fR < \fB*.x\fR < exact domain,
whatever the order in the file. \fB<source>\fR blocks merge from the shortest matching
prefix to the longest; \fB0/0\fR is the default.
.PP
Every problem is reported in one run as \fIfile:line:col: error: message\fR.
"#;

const NOT_YET_INTRO: &str = ".SH POWERMTA DIRECTIVES NOT YET IMPLEMENTED\n\
These real PowerMTA directives load with a warning naming each one, and have no effect yet.\n";

const CLUSTER: &str = r#".SH CLUSTER
Nodes whose \fBcluster\-redis\-url\fR names the same Redis (or Valkey) server form a fleet.
A \fBcluster\-\fR limit of a queue holds across the fleet; the plain directive
(\fBmax\-smtp\-out\fR) still caps each node. Each connection of a queue with
\fBcluster\-max\-smtp\-out\fR holds a lease in Redis (one round trip when it opens, one when
it closes), renewed every second by the node's heartbeat and lasting 5 seconds unrenewed, so
a node that dies gives its connections back within 5 seconds. A refused lease holds the
queue for 250 ms (\fBdomain detail\fR: the fleet is at its limit). The nodes must name their
queues' virtual MTAs alike and have distinct \fBcluster\-node\-id\fRs. Changing
\fBcluster\-redis\-url\fR or \fBcluster\-node\-id\fR takes effect at restart: a reload
that changes either is refused and the running configuration stays.
.PP
When Redis does not answer within 800 ms a node falls back, as \fBcluster\-fallback\fR
says. \fBdivide\fR (the default): it allows a queue \fIlimit\fR / \fInodes\fR connections
of its own (at least 1), \fInodes\fR being the nodes that sent a heartbeat in the last 15
seconds at the last heartbeat that reached Redis. \fBlocal\fR: the whole limit on each node
(the fleet may reach \fInodes\fR times it). \fBpause\fR: no new connection or message of a
queue with a \fBcluster\-\fR limit until Redis answers. Never unlimited. It logs the
switch once and the recovery once; \fBdomain detail\fR names the fallback, and
\fB/metrics\fR has \fBpmtad_cluster_fallback{policy="..."}\fR (1 while in the fallback),
\fBpmtad_cluster_nodes\fR, \fBpmtad_cluster_leases\fR (and
\fBpmtad_cluster_redis_calls_total\fR, the round trips this node asked of Redis). When Redis answers
again, each node's next heartbeat registers the connections it opened meanwhile as leases
(as far as the limit allows); for 2.5 seconds the shares still apply (a Redis that
restarted empty learns the nodes again meanwhile), then leases alone decide.
.PP
\fBcluster\-max\-msg\-rate\fR and \fBcluster\-max\-connect\-rate\fR are a GCRA kept in
Redis (one Lua script, run atomically): the fleet's recipients (connections) per interval
never exceed the rate, with a burst of one second's worth (at least 2) after a quiet spell.
A connection opened takes its \fBcluster\-max\-connect\-rate\fR token in one round trip.
Message tokens come in batches: a node takes up to a quarter second of its share of the
rate (at most 100, and no more than its queue has waiting or its pace since the last batch
spends in a quarter second, whichever is more) in one round trip, spends them on its
connections, and drops those unspent after a second; so in any window of \fIw\fR seconds
the fleet sends at most \fIrate\fR \(mu \fIw\fR + burst + one batch per node. When no
token fits, a connection waits for one with its server for up to 2 seconds, else gives
the message back; meanwhile the queue opens no new connection (\fBdomain detail\fR: the
fleet used the rate up). These limits apply to SMTP delivery. With Redis unreachable
\fBcluster\-fallback\fR applies to them as to connections (\fBdivide\fR: \fIrate\fR /
\fInodes\fR on each node).
.PP
\fBpmtactl pause queue\fR \fIPATTERN\fR \fB\-\-cluster\fR stores a fleet\-wide pause in
Redis: every node takes it up at its next heartbeat (within a second), a node that starts
takes it up before it opens a connection, and while Redis is unreachable the pauses last
read hold. \fBpmtactl show cluster\fR lists the nodes, each cluster limit's connections
per node, and the fleet\-wide pauses; see \fBpmtactl\fR(8).
.PP
A Redis the nodes reach over a network should take TLS and a password. \fBrediss://\fR
connects with TLS (rustls, TLS 1.2 or 1.3): the server's certificate must chain to
\fBcluster\-redis\-ca\-file\fR (else the system's roots) and name the URL's host. A
Redis that verifies clients (\fBtls\-auth\-clients yes\fR, its default) gets
\fBcluster\-redis\-cert\-file\fR and \fBcluster\-redis\-key\-file\fR. The password
(\fBrequirepass\fR) or an ACL user and password go in the URL,
\fBrediss://pmtad:\fR\fIsecret\fR\fB@redis.example.net:6380\fR; pmtad sends AUTH on
every connection and writes the URL with the password as \fB***\fR wherever it shows it
(its log, \fBshow cluster\fR, config errors). A node that cannot read the TLS files does
not start; a Redis that refuses the TLS handshake or the password is a Redis that does not
answer (the fallback, logged with the reason).
"#;

const FOOTER: &str = ".SH SEE ALSO\n.BR pmtad (8),\n.BR pmtactl (8)\n";
