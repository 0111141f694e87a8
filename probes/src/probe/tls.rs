//! The TLS probe: a real handshake with the surface's host, verified like a
//! browser would (platform roots, plus the environment's extra CA), and the
//! leaf certificate's expiry.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};

use crate::core::error::{ErrorKind, StepError};

/// What the handshake showed.
#[derive(Clone, Debug)]
pub struct CertificateInfo {
    pub host: String,
    pub subject: String,
    pub issuer: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl CertificateInfo {
    pub fn days_left(&self) -> i64 {
        (self.not_after - chrono::Utc::now()).num_days()
    }
}

/// The TLS configuration every probe shares: Mozilla's root programme
/// (compiled in: nothing to load or parse at start-up, the same on every
/// machine) plus the environment's extra CA (`ca_file`, e.g. the sandbox's
/// loopback CA or a company proxy's).
pub fn client_config(extra_ca_pem: Option<&str>) -> Result<rustls::ClientConfig, StepError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        for cert in parse_pem_certs(pem)? {
            roots.add(cert).map_err(|e| {
                StepError::config(format!(
                    "the CA file holds a certificate rustls refuses: {e}"
                ))
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StepError::new(ErrorKind::Tls, e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Certificates in a PEM text.
pub fn parse_pem_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, StepError> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let after = &rest[start + "-----BEGIN CERTIFICATE-----".len()..];
        let Some(end) = after.find("-----END CERTIFICATE-----") else {
            return Err(StepError::config("unterminated certificate in the CA file"));
        };
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| StepError::config(format!("bad base64 in the CA file: {e}")))?;
        out.push(CertificateDer::from(der));
        rest = &after[end..];
    }
    if out.is_empty() {
        return Err(StepError::config("the CA file holds no PEM certificate"));
    }
    Ok(out)
}

/// Connects to `host:port`, completes a verified TLS handshake and reads the
/// leaf certificate.
pub async fn inspect(
    host: &str,
    port: u16,
    extra_ca_pem: Option<&str>,
    timeout: Duration,
) -> Result<CertificateInfo, StepError> {
    let config = client_config(extra_ca_pem)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let server_name = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_owned())
            .map_err(|e| StepError::config(format!("bad host name {host:?}: {e}")))?,
    };
    let what = format!("TLS to {host}:{port}");
    let work = async {
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| {
                let kind = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    ErrorKind::Connect
                } else if e.to_string().contains("lookup") || e.to_string().contains("resolve") {
                    ErrorKind::Dns
                } else {
                    ErrorKind::Connect
                };
                StepError::new(kind, format!("{what}: {e}"))
            })?;
        let tls = connector.connect(server_name, tcp).await.map_err(|e| {
            StepError::new(ErrorKind::Tls, format!("{what}: handshake failed: {e}"))
        })?;
        let (_, conn) = tls.get_ref();
        let leaf = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .ok_or_else(|| {
                StepError::new(
                    ErrorKind::Tls,
                    format!("{what}: the server sent no certificate"),
                )
            })?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).map_err(|e| {
            StepError::new(
                ErrorKind::Tls,
                format!("{what}: unreadable certificate: {e}"),
            )
        })?;
        let ts = cert.validity().not_after.timestamp();
        let not_after = chrono::DateTime::from_timestamp(ts, 0).ok_or_else(|| {
            StepError::new(
                ErrorKind::Tls,
                format!("{what}: certificate expiry out of range"),
            )
        })?;
        Ok(CertificateInfo {
            host: host.to_owned(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_after,
        })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(StepError::new(
            ErrorKind::Timeout,
            format!(
                "{what}: no handshake within {}",
                crate::core::duration::human(timeout)
            ),
        )),
    }
}
