//! Verifying what providers sign, exactly as Lucia's Engine must:
//! Twilio's X-Twilio-Signature, Stripe's Stripe-Signature, Postmark's basic auth.

use base64::Engine as _;
use hmac::{Hmac, Mac};

/// Twilio: base64(HMAC-SHA1(auth token, URL + each POST param name and value, sorted by name)).
pub fn twilio_valid(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()) else {
        return false;
    };
    mac.update(data.as_bytes());
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    mac.verify_slice(&given).is_ok()
}

/// Why a Stripe signature is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum StripeRefusal {
    Missing,
    Malformed,
    OutsideTolerance,
    NoMatch,
}

/// Stripe: `t=TIMESTAMP,v1=HEX(HMAC-SHA256(secret, "TIMESTAMP.PAYLOAD"))`, tolerance in seconds.
pub fn stripe_check(
    secret: &str,
    header: Option<&str>,
    payload: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), StripeRefusal> {
    let header = header.ok_or(StripeRefusal::Missing)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or(StripeRefusal::Malformed)?;
    if v1.is_empty() {
        return Err(StripeRefusal::Malformed);
    }
    if (now - t).abs() > tolerance {
        return Err(StripeRefusal::OutsideTolerance);
    }
    for sig in v1 {
        let Ok(bytes) = hex_decode(&sig) else {
            continue;
        };
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
            return Err(StripeRefusal::NoMatch);
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        if mac.verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(StripeRefusal::NoMatch)
}

fn hex_decode(s: &str) -> Result<Vec<u8>, ()> {
    if !s.len().is_multiple_of(2) {
        return Err(());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).ok_or(())?, 16).map_err(|_| ()))
        .collect()
}

/// Postmark inbound webhooks carry HTTP basic auth in the URL Postmark calls.
pub fn basic_auth_valid(header: Option<&str>, user: &str, password: &str) -> bool {
    let Some(encoded) = header.and_then(|h| h.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    decoded == format!("{user}:{password}").as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_documented_example() {
        // Twilio's documented example (auth token 12345), also checked with Python's hmac.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert!(twilio_valid(
            "12345",
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!twilio_valid(
            "54321",
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
    }

    #[test]
    fn stripe_scheme() {
        let payload = br#"{"id":"evt_1"}"#;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec_test").expect("key");
        mac.update(b"1000.");
        mac.update(payload);
        let sig: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let header = format!("t=1000,v1={sig}");
        assert_eq!(
            stripe_check("whsec_test", Some(&header), payload, 1100, 300),
            Ok(())
        );
        assert_eq!(
            stripe_check("whsec_other", Some(&header), payload, 1100, 300),
            Err(StripeRefusal::NoMatch)
        );
        assert_eq!(
            stripe_check("whsec_test", Some(&header), payload, 1400, 300),
            Err(StripeRefusal::OutsideTolerance)
        );
        assert_eq!(
            stripe_check("whsec_test", None, payload, 1000, 300),
            Err(StripeRefusal::Missing)
        );
        assert_eq!(
            stripe_check("whsec_test", Some("v1=ab"), payload, 1000, 300),
            Err(StripeRefusal::Malformed)
        );
    }

    #[test]
    fn basic_auth() {
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("postmark:pw")
        );
        assert!(basic_auth_valid(Some(&h), "postmark", "pw"));
        assert!(!basic_auth_valid(Some(&h), "postmark", "other"));
        assert!(!basic_auth_valid(None, "postmark", "pw"));
    }
}
