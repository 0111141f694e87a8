//! The sandbox's TLS: a leaf certificate for 127.0.0.1 and localhost, signed
//! at start-up by the committed loopback-only test CA (certs/README.md).

use std::sync::Arc;

use rcgen::{CertificateParams, DistinguishedName, DnType, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The CA the `local` environment trusts (environments.toml `ca_file`).
pub const CA_PEM: &str = include_str!("../certs/sandbox-ca.pem");
const CA_KEY_PEM: &str = include_str!("../certs/sandbox-ca-key.pem");

/// Days a normal leaf stays valid; the `expiring-certificate` fault uses 3.
pub const LEAF_DAYS: i64 = 90;

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("sandbox TLS: {e}"))
}

/// A TLS acceptor whose certificate expires in `valid_days` days (negative:
/// it expired that many days ago).
pub fn acceptor(valid_days: i64) -> std::io::Result<TlsAcceptor> {
    let ca_key = KeyPair::from_pem(CA_KEY_PEM).map_err(err)?;
    let issuer = Issuer::from_ca_cert_pem(CA_PEM, ca_key).map_err(err)?;
    let leaf_key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(err)?),
        SanType::IpAddress(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
    ];
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "lucia-harness sandbox");
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(30);
    params.not_after = now + time::Duration::days(valid_days);
    let leaf = params.signed_by(&leaf_key, &issuer).map_err(err)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
        .map_err(err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
