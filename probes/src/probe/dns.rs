//! DNS lookups, through hickory-resolver: the environment's resolver when it
//! names one (`dns_resolver`, the sandbox's on loopback), the system's
//! (`/etc/resolv.conf`) otherwise. An answer is a list of records rendered
//! as text, the way people and the providers' dashboards write them; a
//! failure is one of the DNS error kinds: the name does not exist
//! (`nxdomain`), the server failed (`servfail`), no answer in time
//! (`dns_timeout`), or another DNS failure (`dns`).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};

use crate::core::error::{ErrorKind, StepError};

/// The record types the DNS steps read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    A,
    Aaaa,
    Cname,
    Ns,
    Txt,
    Mx,
}

impl RecordKind {
    pub const ALL: [Self; 6] = [
        Self::A,
        Self::Aaaa,
        Self::Cname,
        Self::Ns,
        Self::Txt,
        Self::Mx,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Cname => "CNAME",
            Self::Ns => "NS",
            Self::Txt => "TXT",
            Self::Mx => "MX",
        }
    }

    fn record_type(self) -> RecordType {
        match self {
            Self::A => RecordType::A,
            Self::Aaaa => RecordType::AAAA,
            Self::Cname => RecordType::CNAME,
            Self::Ns => RecordType::NS,
            Self::Txt => RecordType::TXT,
            Self::Mx => RecordType::MX,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = StepError;

    fn from_str(s: &str) -> Result<Self, StepError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                StepError::config(format!(
                    "{s:?} is not a record type the DNS steps read: use one of A, AAAA, CNAME, NS, TXT, MX"
                ))
            })
    }
}

/// What a lookup found: the records of one type at one name, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub name: String,
    pub kind: RecordKind,
    /// A and AAAA: the address; CNAME and NS: the target name (no final
    /// dot, lower case); TXT: its strings joined, as a verifier reads them;
    /// MX: `preference exchange`.
    pub records: Vec<String>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.records.is_empty() {
            write!(f, "no {} records at {}", self.kind, self.name)
        } else {
            write!(
                f,
                "{} {}: {}",
                self.name,
                self.kind,
                self.records
                    .iter()
                    .map(|r| format!("{r:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// A resolver for one run.
pub struct DnsClient {
    resolver: TokioResolver,
    /// Who answers, for messages: `127.0.0.1:8700` or "the system resolver".
    server: String,
}

impl fmt::Debug for DnsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsClient")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl DnsClient {
    /// A resolver asking `server` over UDP (a resolver on a port other than
    /// 53, such as the sandbox's, shares its port number with an HTTP
    /// listener, so TCP is not tried; answers fit in EDNS0's 1232 bytes), or
    /// the system's resolvers, over UDP and TCP, as `/etc/resolv.conf` says.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Self, StepError> {
        let provider = TokioRuntimeProvider::default();
        let (mut builder, shown) = match server {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, vec![udp]);
                (
                    TokioResolver::builder_with_config(
                        ResolverConfig::from_name_servers(vec![ns]),
                        provider,
                    ),
                    addr.to_string(),
                )
            }
            None => (
                TokioResolver::builder(provider).map_err(|e| {
                    StepError::new(
                        ErrorKind::Dns,
                        format!("the system resolver's configuration cannot be read: {e}"),
                    )
                })?,
                "the system resolver".to_owned(),
            ),
        };
        let mut opts = ResolverOpts::default();
        // One retry within the request timeout: a lost UDP datagram is not
        // an outage, but a silent server must fail as `dns_timeout` in time.
        opts.timeout = timeout / 2;
        opts.attempts = 1;
        opts.edns0 = true;
        opts.try_tcp_on_error = server.is_none();
        *builder.options_mut() = opts;
        let resolver = builder.build().map_err(|e| {
            StepError::new(ErrorKind::Dns, format!("cannot start a DNS resolver: {e}"))
        })?;
        Ok(Self {
            resolver,
            server: shown,
        })
    }

    /// Who answers: an address, or "the system resolver".
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The `kind` records at `name` (a fully qualified name; a final dot is
    /// added), within `timeout`. No records of that type at a name that
    /// exists is an empty answer, not an error.
    pub async fn lookup(
        &self,
        name: &str,
        kind: RecordKind,
        timeout: Duration,
    ) -> Result<Answer, StepError> {
        let shown = name.trim_end_matches('.').to_ascii_lowercase();
        let fqdn = Name::from_ascii(format!("{shown}."))
            .map_err(|e| StepError::config(format!("{name:?} is not a domain name: {e}")))?;
        let looked =
            tokio::time::timeout(timeout, self.resolver.lookup(fqdn, kind.record_type())).await;
        let records = match looked {
            Err(_) => return Err(self.timed_out(&shown, kind, timeout)),
            Ok(Err(e)) if is_no_data(&e) => Vec::new(),
            Ok(Err(e)) => return Err(self.failure(&shown, kind, &e, timeout)),
            Ok(Ok(lookup)) => lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == kind.record_type())
                .filter_map(|r| render(&r.data))
                .collect(),
        };
        Ok(Answer {
            name: shown,
            kind,
            records,
        })
    }

    fn timed_out(&self, name: &str, kind: RecordKind, timeout: Duration) -> StepError {
        StepError::new(
            ErrorKind::DnsTimeout,
            format!(
                "{kind} {name}: no answer from {} within {}",
                self.server,
                crate::core::duration::human(timeout)
            ),
        )
    }

    fn failure(&self, name: &str, kind: RecordKind, e: &NetError, timeout: Duration) -> StepError {
        let server = &self.server;
        match e {
            NetError::Timeout => self.timed_out(name, kind, timeout),
            NetError::Dns(DnsError::NoRecordsFound(nr))
                if nr.response_code == ResponseCode::NXDomain =>
            {
                StepError::new(
                    ErrorKind::Nxdomain,
                    format!(
                        "{kind} {name}: {server} answers that {name} does not exist (NXDOMAIN)"
                    ),
                )
            }
            NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => StepError::new(
                ErrorKind::Servfail,
                format!("{kind} {name}: {server} failed to answer (SERVFAIL)"),
            ),
            NetError::Dns(DnsError::NoRecordsFound(nr))
                if nr.response_code == ResponseCode::ServFail =>
            {
                StepError::new(
                    ErrorKind::Servfail,
                    format!("{kind} {name}: {server} failed to answer (SERVFAIL)"),
                )
            }
            other => StepError::new(ErrorKind::Dns, format!("{kind} {name}: {server}: {other}")),
        }
    }
}

/// The name exists but holds no record of the type asked (NOERROR, no data).
fn is_no_data(e: &NetError) -> bool {
    matches!(e, NetError::Dns(DnsError::NoRecordsFound(nr)) if nr.response_code == ResponseCode::NoError)
}

fn name_text(n: &Name) -> String {
    n.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn render(data: &RData) -> Option<String> {
    Some(match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::CNAME(c) => name_text(&c.0),
        RData::NS(n) => name_text(&n.0),
        RData::MX(mx) => format!("{} {}", mx.preference, name_text(&mx.exchange)),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|s| String::from_utf8_lossy(s))
            .collect::<String>(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_kinds_parse_from_their_names_in_any_case() {
        for k in RecordKind::ALL {
            assert_eq!(k.as_str().parse::<RecordKind>().expect("kind"), k);
            assert_eq!(
                k.as_str()
                    .to_lowercase()
                    .parse::<RecordKind>()
                    .expect("kind"),
                k
            );
        }
        let e = "SRV".parse::<RecordKind>().expect_err("not read");
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(e.message.contains("A, AAAA, CNAME, NS, TXT, MX"));
    }

    #[test]
    fn an_answer_reads_as_its_records() {
        let a = Answer {
            name: "hellolucia.ai".into(),
            kind: RecordKind::Ns,
            records: vec!["ada.ns.cloudflare.com".into()],
        };
        assert_eq!(a.to_string(), "hellolucia.ai NS: \"ada.ns.cloudflare.com\"");
        let none = Answer {
            records: Vec::new(),
            ..a
        };
        assert_eq!(none.to_string(), "no NS records at hellolucia.ai");
    }

    #[tokio::test]
    async fn a_silent_server_is_a_dns_timeout_in_time() {
        // A UDP socket that reads and never answers.
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = silent.local_addr().expect("addr");
        let client = DnsClient::new(Some(addr), Duration::from_millis(400)).expect("client");
        let started = std::time::Instant::now();
        let e = client
            .lookup("hellolucia.ai", RecordKind::A, Duration::from_millis(400))
            .await
            .expect_err("no answer");
        assert_eq!(e.kind, ErrorKind::DnsTimeout, "{e}");
        assert!(e.message.contains(&addr.to_string()), "{e}");
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(silent);
    }

    #[tokio::test]
    async fn a_name_that_is_not_a_domain_name_is_a_config_error() {
        let client = DnsClient::new(
            Some("127.0.0.1:9".parse().expect("addr")),
            Duration::from_millis(200),
        )
        .expect("client");
        let e = client
            .lookup("not a name..", RecordKind::A, Duration::from_millis(200))
            .await
            .expect_err("refused");
        assert_eq!(e.kind, ErrorKind::Config, "{e}");
    }
}
