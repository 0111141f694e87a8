//! The sandbox's DNS: the `hellolucia.ai` zone as Cloudflare serves it, on
//! UDP at the same port number as the HTTP listener, answering the way a
//! recursive resolver does for the names the Canon's claims need (a CNAME
//! is followed one step, to the Netlify host the guest lab points at).
//! Other names are REFUSED: the sandbox is not the internet.
//!
//! The records are what the providers' references say they must be:
//! Cloudflare's full setup delegates the zone to two `*.ns.cloudflare.com`
//! name servers (https://developers.cloudflare.com/dns/zone-setups/full-setup/);
//! Resend verifies a sending domain by the MX and SPF TXT records on its
//! `send` subdomain and the DKIM TXT record at `resend._domainkey`
//! (https://resend.com/docs/dashboard/domains/introduction), the values its
//! API lists (`providers/resend.rs`).
//!
//! Messages are encoded and decoded with hickory-proto; the zone and its
//! faults are this file's own, so each query can be answered, failed
//! (SERVFAIL), denied (NXDOMAIN) or dropped (a timeout) by name.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

use crate::config::SandboxConfig;
use crate::inject::{Break, DnsFaultKind};
use crate::providers::resend;
use crate::state::AppState;

/// The zone the sandbox is authoritative for.
pub const ZONE: &str = "hellolucia.ai";
/// Cloudflare's name servers for the zone (a pair Cloudflare assigns).
pub const CLOUDFLARE_NS: [&str; 2] = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"];
/// Where the zone points under [`Break::DnsNotCloudflare`]: a registrar's
/// own name servers, as after a transfer that forgot the delegation.
pub const REGISTRAR_NS: [&str; 2] = ["dns1.registrar-servers.com", "dns2.registrar-servers.com"];
/// The public hosts of the zone, each proxied through Cloudflare.
pub const PUBLIC_HOSTS: [&str; 5] = [
    "hellolucia.ai",
    "api-dev.hellolucia.ai",
    "dev.hellolucia.ai",
    "api-staging.hellolucia.ai",
    "staging.hellolucia.ai",
];
/// The guest lab's own domain, a CNAME to its Netlify site.
pub const GUEST_HOST: &str = "guest.hellolucia.ai";
const NETLIFY_HOST: &str = "lucia-guest-agent.netlify.app";
const TTL: u32 = 300;

/// Answers queries until the task is aborted.
pub(crate) async fn serve(socket: UdpSocket, state: AppState) {
    let zone = Arc::new(Zone::new(&state.config));
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let Ok(query) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        log(&state, &query);
        if let Some(reply) = zone.answer(&query, &state.config)
            && let Ok(bytes) = reply.to_vec()
        {
            let _ = socket.send_to(&bytes, peer).await;
        }
    }
}

fn log(state: &AppState, query: &Message) {
    let Some(q) = query.queries.first() else {
        return;
    };
    state.log_request(
        "DNS".to_owned(),
        format!("{} {}", q.query_type, lower(&q.name)),
        Vec::new(),
        Vec::new(),
    );
}

fn lower(n: &Name) -> String {
    n.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn name(s: &str) -> Name {
    // Every name here is a constant of this file or a checked fault spec.
    Name::from_str(&format!("{s}.")).unwrap_or_else(|_| Name::root())
}

/// The records the sandbox serves, by owner name (lower case, no final dot).
struct Zone {
    records: Vec<(String, RData)>,
    soa: Record,
}

impl Zone {
    fn new(config: &SandboxConfig) -> Self {
        let ns = if config.broken(Break::DnsNotCloudflare) {
            REGISTRAR_NS
        } else {
            CLOUDFLARE_NS
        };
        let mut records: Vec<(String, RData)> = Vec::new();
        let mut add = |owner: &str, data: RData| records.push((owner.to_owned(), data));
        for n in ns {
            add(ZONE, RData::NS(NS(name(n))));
        }
        // Cloudflare's anycast addresses for a proxied host.
        for host in PUBLIC_HOSTS {
            add(host, RData::A(A(Ipv4Addr::new(104, 21, 48, 1))));
            add(host, RData::A(A(Ipv4Addr::new(172, 67, 189, 1))));
            add(
                host,
                RData::AAAA(AAAA(Ipv6Addr::new(
                    0x2606, 0x4700, 0x3031, 0, 0, 0, 0x6815, 0x3001,
                ))),
            );
        }
        add(GUEST_HOST, RData::CNAME(CNAME(name(NETLIFY_HOST))));
        // Netlify's load balancer, for a custom domain's CNAME target.
        add(NETLIFY_HOST, RData::A(A(Ipv4Addr::new(75, 2, 60, 5))));
        let return_path = format!("send.{}", resend::DOMAIN);
        add(
            &return_path,
            RData::MX(MX::new(
                10,
                name(&format!("feedback-smtp.{}.amazonses.com", resend::REGION)),
            )),
        );
        add(
            &return_path,
            RData::TXT(TXT::new(vec![resend::SPF.to_owned()])),
        );
        if !config.broken(Break::DkimMissing) {
            // Long TXT values are split into strings of at most 255 bytes.
            let chunks = resend::DKIM
                .as_bytes()
                .chunks(255)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            add(
                &format!("resend._domainkey.{}", resend::DOMAIN),
                RData::TXT(TXT::new(chunks)),
            );
        }
        add(
            &format!("_dmarc.{ZONE}"),
            RData::TXT(TXT::new(vec!["v=DMARC1; p=none;".to_owned()])),
        );
        let soa = Record::from_rdata(
            name(ZONE),
            TTL,
            RData::SOA(SOA::new(
                name(ns[0]),
                name("dns.cloudflare.com"),
                2_350_000_000,
                10_000,
                2_400,
                604_800,
                1_800,
            )),
        );
        Self { records, soa }
    }

    fn at<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a RData> + 'a {
        self.records
            .iter()
            .filter(move |(o, _)| o == owner)
            .map(|(_, d)| d)
    }

    /// Whether `owner` exists: it holds records, or names below it do (an
    /// empty non-terminal, such as `send.hellolucia.ai`, answers NOERROR).
    fn exists(&self, owner: &str) -> bool {
        let below = format!(".{owner}");
        self.records
            .iter()
            .any(|(o, _)| o == owner || o.ends_with(&below))
    }

    fn in_zone(owner: &str) -> bool {
        owner == ZONE || owner.ends_with(&format!(".{ZONE}")) || owner == NETLIFY_HOST
    }

    /// The reply to `query`, or `None` to stay silent (a timeout fault).
    fn answer(&self, query: &Message, config: &SandboxConfig) -> Option<Message> {
        let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        reply.metadata.recursion_desired = query.metadata.recursion_desired;
        reply.metadata.recursion_available = true;
        if query.edns.is_some() {
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            reply.set_edns(edns);
        }
        let Some(q) = query.queries.first() else {
            reply.metadata.response_code = ResponseCode::FormErr;
            return Some(reply);
        };
        reply.add_query(q.clone());
        let owner = lower(&q.name);
        let fault = config
            .dns_faults
            .iter()
            .find(|f| f.name == owner)
            .map(|f| f.kind);
        let code = match fault {
            Some(DnsFaultKind::Timeout) => return None,
            Some(DnsFaultKind::Servfail) => ResponseCode::ServFail,
            Some(DnsFaultKind::Nxdomain) => ResponseCode::NXDomain,
            None if !Self::in_zone(&owner) => ResponseCode::Refused,
            None if !self.exists(&owner) => ResponseCode::NXDomain,
            None => ResponseCode::NoError,
        };
        reply.metadata.response_code = code;
        if code != ResponseCode::NoError {
            if code == ResponseCode::NXDomain {
                reply.metadata.authoritative = true;
                reply.add_authority(self.soa.clone());
            }
            return Some(reply);
        }
        reply.metadata.authoritative = true;
        let answers = self.records_for(&owner, q.query_type, &q.name);
        if answers.is_empty() {
            reply.add_authority(self.soa.clone());
        }
        reply.add_answers(answers);
        Some(reply)
    }

    /// The records of `rtype` at `owner`; where it is a CNAME and another
    /// type is asked, the CNAME and the target's records of that type.
    fn records_for(&self, owner: &str, rtype: RecordType, qname: &Name) -> Vec<Record> {
        let of_type = |o: &str| -> Vec<RData> {
            self.at(o)
                .filter(|d| d.record_type() == rtype)
                .cloned()
                .collect()
        };
        let direct = of_type(owner);
        if !direct.is_empty() || rtype == RecordType::CNAME {
            return direct
                .into_iter()
                .map(|d| Record::from_rdata(qname.clone(), TTL, d))
                .collect();
        }
        let Some(RData::CNAME(target)) = self
            .at(owner)
            .find(|d| d.record_type() == RecordType::CNAME)
        else {
            return Vec::new();
        };
        let target_owner = lower(&target.0);
        let mut out = vec![Record::from_rdata(
            qname.clone(),
            TTL,
            RData::CNAME(target.clone()),
        )];
        out.extend(
            of_type(&target_owner)
                .into_iter()
                .map(|d| Record::from_rdata(target.0.clone(), TTL, d)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inject::DnsFault;
    use hickory_proto::op::Query;

    fn ask(zone: &Zone, config: &SandboxConfig, qname: &str, rtype: RecordType) -> Option<Message> {
        let mut m = Message::new(7, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(name(qname), rtype));
        zone.answer(&m, config)
    }

    fn texts(m: &Message) -> Vec<String> {
        m.answers.iter().map(|r| r.data.to_string()).collect()
    }

    #[test]
    fn the_zone_answers_as_cloudflare_serves_it() {
        let c = SandboxConfig::default();
        let z = Zone::new(&c);
        let ns = ask(&z, &c, ZONE, RecordType::NS).expect("reply");
        assert_eq!(ns.metadata.response_code, ResponseCode::NoError);
        assert_eq!(
            texts(&ns),
            ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."]
        );
        let guest = ask(&z, &c, GUEST_HOST, RecordType::A).expect("reply");
        assert_eq!(
            texts(&guest),
            ["lucia-guest-agent.netlify.app.", "75.2.60.5"]
        );
        // An empty non-terminal exists; a stray name does not; others are refused.
        let send = ask(&z, &c, resend::DOMAIN, RecordType::A).expect("reply");
        assert_eq!(send.metadata.response_code, ResponseCode::NoError);
        assert!(send.answers.is_empty());
        let stray = ask(&z, &c, "nope.hellolucia.ai", RecordType::A).expect("reply");
        assert_eq!(stray.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(stray.authorities.len(), 1, "the SOA tells the negative TTL");
        let other = ask(&z, &c, "example.com", RecordType::A).expect("reply");
        assert_eq!(other.metadata.response_code, ResponseCode::Refused);
    }

    #[test]
    fn faults_break_the_zone_by_name() {
        let mut c = SandboxConfig::default();
        for f in [
            "dns-not-cloudflare",
            "dkim-missing",
            "servfail:hellolucia.ai",
            "dns-timeout:dev.hellolucia.ai",
            "nxdomain:API-DEV.hellolucia.ai.",
        ] {
            c.add_fault(f).expect(f);
        }
        let z = Zone::new(&c);
        let dkim = ask(
            &z,
            &c,
            &format!("resend._domainkey.{}", resend::DOMAIN),
            RecordType::TXT,
        )
        .expect("reply");
        assert_eq!(dkim.metadata.response_code, ResponseCode::NXDomain);
        let ns = ask(&z, &c, ZONE, RecordType::NS).expect("reply");
        assert_eq!(ns.metadata.response_code, ResponseCode::ServFail);
        assert!(ask(&z, &c, "dev.hellolucia.ai", RecordType::A).is_none());
        let api = ask(&z, &c, "api-dev.hellolucia.ai", RecordType::A).expect("reply");
        assert_eq!(api.metadata.response_code, ResponseCode::NXDomain);
        assert!(
            z.at(ZONE)
                .any(|d| d.to_string().contains("registrar-servers.com"))
        );
        assert!(DnsFault::parse("nxdomain:").expect("a DNS fault").is_err());
        assert!(DnsFault::parse("engine/health=500").is_none());
    }
}
