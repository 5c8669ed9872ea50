//! `TestDns`: an authoritative DNS server (hickory-server) running inside the test process.
//!
//! It serves one root zone, so every name the test did not define gets an authoritative
//! NXDOMAIN (and a name that exists without the asked type gets NODATA), on UDP and TCP on the
//! same ephemeral port of 127.0.0.1. Names marked with [`TestDnsBuilder::servfail`] (and every
//! name below them) are answered with SERVFAIL. Every query is counted per name, so tests can
//! see whether the resolver's cache answered.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::rr::rdata::{A, AAAA, MX, PTR, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};

/// Default TTL of the records a test defines.
pub const DEFAULT_TTL: u32 = 300;

/// Errors while building or starting the test server.
#[derive(Debug, thiserror::Error)]
pub enum TestDnsError {
    #[error("bad DNS name {0:?}: {1}")]
    Name(String, String),
    #[error("bad IP address {0:?}")]
    Ip(String),
    #[error("binding the DNS sockets: {0}")]
    Io(#[from] std::io::Error),
}

/// Collects records, then [`TestDnsBuilder::start`]s the server.
#[derive(Default)]
pub struct TestDnsBuilder {
    records: Vec<(String, u32, RData)>,
    servfail: Vec<String>,
    errors: Vec<TestDnsError>,
}

/// A running test DNS server; stops when dropped.
pub struct TestDns {
    addr: SocketAddr,
    queries: Arc<Mutex<HashMap<String, usize>>>,
    _server: Server<Handler>,
}

impl std::fmt::Debug for TestDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDns").field("addr", &self.addr).finish()
    }
}

impl TestDns {
    pub fn builder() -> TestDnsBuilder {
        TestDnsBuilder::default()
    }

    /// The UDP and TCP address (same port) to give to a resolver or to `name-server`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many queries (any type, UDP or TCP) arrived for `name` (case-insensitive, with or
    /// without the trailing dot).
    pub fn queries(&self, name: &str) -> usize {
        let key = fqdn(name).to_ascii_lowercase();
        self.queries
            .lock()
            .expect("query counter")
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

impl TestDnsBuilder {
    fn push(mut self, name: &str, ttl: u32, data: RData) -> Self {
        self.records.push((name.to_string(), ttl, data));
        self
    }

    fn parse_name(&mut self, name: &str) -> Name {
        match Name::from_utf8(fqdn(name)) {
            Ok(n) => n,
            Err(e) => {
                self.errors
                    .push(TestDnsError::Name(name.into(), e.to_string()));
                Name::root()
            }
        }
    }

    /// `domain MX preference exchange`.
    pub fn mx(mut self, domain: &str, preference: u16, exchange: &str) -> Self {
        let ex = self.parse_name(exchange);
        self.push(domain, DEFAULT_TTL, RData::MX(MX::new(preference, ex)))
    }

    /// RFC 7505 null MX: `domain MX 0 .`.
    pub fn null_mx(self, domain: &str) -> Self {
        self.push(domain, DEFAULT_TTL, RData::MX(MX::new(0, Name::root())))
    }

    /// An A or AAAA record, chosen by the address family.
    pub fn addr(self, name: &str, ip: IpAddr) -> Self {
        self.addr_ttl(name, ip, DEFAULT_TTL)
    }

    /// [`Self::addr`] with an explicit TTL.
    pub fn addr_ttl(self, name: &str, ip: IpAddr, ttl: u32) -> Self {
        let data = match ip {
            IpAddr::V4(v4) => RData::A(A(v4)),
            IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
        };
        self.push(name, ttl, data)
    }

    /// `name A ip` from text (`"127.0.0.2"`).
    pub fn a(mut self, name: &str, ip: &str) -> Self {
        match ip.parse::<Ipv4Addr>() {
            Ok(v4) => self.addr(name, IpAddr::V4(v4)),
            Err(_) => {
                self.errors.push(TestDnsError::Ip(ip.into()));
                self
            }
        }
    }

    /// `name AAAA ip` from text (`"::1"`).
    pub fn aaaa(mut self, name: &str, ip: &str) -> Self {
        match ip.parse::<Ipv6Addr>() {
            Ok(v6) => self.addr(name, IpAddr::V6(v6)),
            Err(_) => {
                self.errors.push(TestDnsError::Ip(ip.into()));
                self
            }
        }
    }

    /// A TXT record; text longer than 255 bytes is split into several character-strings, as
    /// RSA-2048 DKIM keys need.
    pub fn txt(self, name: &str, text: &str) -> Self {
        let chunks = split_txt(text);
        self.push(name, DEFAULT_TTL, RData::TXT(TXT::new(chunks)))
    }

    /// A PTR record for `ip` (the `in-addr.arpa` / `ip6.arpa` name is derived).
    pub fn ptr(mut self, ip: IpAddr, target: &str) -> Self {
        let target = self.parse_name(target);
        let owner = Name::from(ip).to_ascii();
        self.push(&owner, DEFAULT_TTL, RData::PTR(PTR(target)))
    }

    /// Answer SERVFAIL for `name` and every name below it.
    pub fn servfail(mut self, name: &str) -> Self {
        self.servfail.push(name.to_string());
        self
    }

    /// Binds UDP and TCP on the same ephemeral port of 127.0.0.1 and starts serving.
    pub async fn start(mut self) -> Result<TestDns, TestDnsError> {
        let zone = self.build_zone();
        let servfail = self
            .servfail
            .iter()
            .map(|n| self.parse_lower(n))
            .collect::<Vec<_>>();
        if let Some(e) = self.errors.into_iter().next() {
            return Err(e);
        }
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&Name::root()), vec![Arc::new(zone)]);
        let queries = Arc::new(Mutex::new(HashMap::new()));
        let handler = Handler {
            catalog,
            servfail,
            queries: queries.clone(),
        };
        let (udp, tcp) = bind_pair().await?;
        let addr = udp.local_addr()?;
        let mut server = Server::new(handler);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64);
        Ok(TestDns {
            addr,
            queries,
            _server: server,
        })
    }

    fn parse_lower(&self, name: &str) -> LowerName {
        LowerName::new(&Name::from_utf8(fqdn(name)).unwrap_or_else(|_| Name::root()))
    }

    fn build_zone(&mut self) -> InMemoryZoneHandler<TokioRuntimeProvider> {
        let root = Name::root();
        let mut zone = InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
            root.clone(),
            ZoneType::Primary,
            AxfrPolicy::Deny,
        );
        let ns = Name::from_ascii("ns.test.").expect("static name");
        let hostmaster = Name::from_ascii("hostmaster.test.").expect("static name");
        let soa = SOA::new(ns, hostmaster, 1, 3600, 600, 86400, 60);
        zone.upsert_mut(Record::from_rdata(root, 3600, RData::SOA(soa)), 1);
        for (name, ttl, data) in std::mem::take(&mut self.records) {
            let owner = self.parse_name(&name);
            zone.upsert_mut(Record::from_rdata(owner, ttl, data), 1);
        }
        zone
    }
}

/// Splits TXT text into RFC 1035 character-strings of at most 255 bytes (on char boundaries).
fn split_txt(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if cur.len() + c.len_utf8() > 255 {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// UDP and TCP on the same ephemeral port; retries when the TCP port happens to be taken.
async fn bind_pair() -> std::io::Result<(tokio::net::UdpSocket, tokio::net::TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        let port = udp.local_addr()?.port();
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// The catalog, plus SERVFAIL injection and per-name query counting.
struct Handler {
    catalog: Catalog,
    servfail: Vec<LowerName>,
    queries: Arc<Mutex<HashMap<String, usize>>>,
}

impl Handler {
    /// Counts the query and tells whether it must fail with SERVFAIL.
    fn note(&self, request: &Request) -> bool {
        let Ok(info) = request.request_info() else {
            return false;
        };
        let name = info.query.name();
        let key = name.to_string().to_ascii_lowercase();
        *self
            .queries
            .lock()
            .expect("query counter")
            .entry(key)
            .or_default() += 1;
        self.servfail.iter().any(|z| z.zone_of(name))
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        if !self.note(request) {
            return self
                .catalog
                .handle_request::<R, T>(request, response_handle)
                .await;
        }
        let builder = MessageResponseBuilder::from_message_request(request);
        let response = builder.error_msg(&request.metadata, ResponseCode::ServFail);
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(_) => {
                let mut header = hickory_server::proto::op::Header {
                    metadata: hickory_server::proto::op::Metadata::response_from_request(
                        &request.metadata,
                    ),
                    counts: Default::default(),
                };
                header.metadata.response_code = ResponseCode::ServFail;
                header.into()
            }
        }
    }
}
