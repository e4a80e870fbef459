//! The few PEM blocks a service principal's certificate file holds: the private key (PKCS#8
//! `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) and the certificate, whose SHA-1 thumbprint names
//! it in the client assertion. Also the PKCS#1 public key the simulator verifies with.

use base64::Engine as _;

/// The DER bytes of every `-----BEGIN {label}-----` block of `text`, in order.
pub fn blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body = &rest[start + begin.len()..];
        let Some(stop) = body.find(&end) else {
            break;
        };
        let b64: String = body[..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &body[stop + end.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_by_label() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nBAU=\n-----END PRIVATE KEY-----\n";
        assert_eq!(blocks(text, "CERTIFICATE"), vec![vec![0, 1, 2, 3]]);
        assert_eq!(blocks(text, "PRIVATE KEY"), vec![vec![4, 5]]);
        assert!(blocks(text, "RSA PRIVATE KEY").is_empty());
    }
}
