//! Signing requests as Lucia's providers do, so the harness can play
//! Twilio, Stripe and Postmark against Engine's webhooks.

use base64::Engine as _;
use hmac::{Hmac, Mac};

/// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, the full URL
/// followed by every POST parameter's name and value, sorted by name)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Stripe's `Stripe-Signature`: `t=TIMESTAMP,v1=HEX(HMAC-SHA256(secret, "TIMESTAMP.PAYLOAD"))`.
pub fn stripe_signature(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

/// An HTTP basic `Authorization` value from `user:password`.
pub fn basic_auth(user_password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_password)
    )
}

/// A key that is certainly not the right one (for "wrongly signed").
pub fn wrong_key(key: &str) -> String {
    format!("wrong-{}", key.chars().rev().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_documented_example() {
        // Twilio's documented example (auth token 12345).
        let params: Vec<(String, String)> = [
            ("To", "+18005551212"),
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("Caller", "+12349013030"),
            ("From", "+12349013030"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            twilio_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn stripe_header_shape() {
        let h = stripe_signature("whsec_x", 1_700_000_000, b"{}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(h.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(
            h,
            stripe_signature(&wrong_key("whsec_x"), 1_700_000_000, b"{}")
        );
    }

    #[test]
    fn basic() {
        assert_eq!(basic_auth("a:b"), "Basic YTpi");
    }
}
