//! SMART Health Links (STU1): a resident shares their summary or their vaccinations with a
//! doctor for a while, behind a passcode.
//!
//! The shared file is encrypted with a fresh 256-bit key (JWE compact, `dir` + `A256GCM`) that
//! travels only in the link (`shlink:/…`, after the viewer's `#`): the server keeps the
//! ciphertext, a hash of the manifest token and a salted, stretched hash of the passcode.
//! Whoever opens the link POSTs to the manifest URL with the passcode and their name; a wrong
//! passcode costs one of the link's attempts for its whole life, and at zero the link is dead.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Stretching of the passcode hash (PBKDF2-HMAC-SHA256 iterations).
const PASSCODE_ROUNDS: u32 = 20_000;

/// A random 32-byte value, base64url without padding (43 characters, 256 bits).
pub fn random_b64() -> String {
    let bytes: [u8; 32] = rand::random();
    B64.encode(bytes)
}

/// The lookup key of a manifest token: the server never keeps the token itself.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn pbkdf2(passcode: &str, salt: &[u8], rounds: u32) -> [u8; 32] {
    let mac = |data: &[u8]| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(passcode.as_bytes()).expect("HMAC key");
        m.update(data);
        m.finalize().into_bytes()
    };
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = mac(&first);
    let mut out: [u8; 32] = u.into();
    for _ in 1..rounds {
        u = mac(&u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// `pbkdf2-sha256$<rounds>$<salt>$<hash>` of a passcode, with a fresh salt.
pub fn hash_passcode(passcode: &str) -> String {
    let salt: [u8; 16] = rand::random();
    format!(
        "pbkdf2-sha256${PASSCODE_ROUNDS}${}${}",
        hex::encode(salt),
        hex::encode(pbkdf2(passcode, &salt, PASSCODE_ROUNDS))
    )
}

/// Whether `passcode` is the one `stored` was made from (compared in constant time).
pub fn passcode_matches(stored: &str, passcode: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, rounds, salt, hash] = parts.as_slice() else {
        return false;
    };
    let (Ok(rounds), Ok(salt), Ok(hash)) =
        (rounds.parse::<u32>(), hex::decode(salt), hex::decode(hash))
    else {
        return false;
    };
    if *scheme != "pbkdf2-sha256" || rounds == 0 {
        return false;
    }
    let got = pbkdf2(passcode, &salt, rounds);
    got.len() == hash.len() && got.iter().zip(&hash).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Encrypts `plaintext` for a link: JWE compact serialization with `alg: dir`, `enc: A256GCM`,
/// the content type in `cty`, a fresh 96-bit IV, the protected header as additional data.
pub fn jwe_encrypt(key: &[u8; 32], content_type: &str, plaintext: &[u8]) -> Result<String, String> {
    let header = serde_json::json!({ "alg": "dir", "enc": "A256GCM", "cty": content_type });
    let protected = B64.encode(header.to_string());
    let iv: [u8; 12] = rand::random();
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|e| e.to_string())?;
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: plaintext,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|e| e.to_string())?;
    let (ciphertext, tag) = sealed.split_at(sealed.len() - 16);
    Ok(format!(
        "{protected}..{}.{}.{}",
        B64.encode(iv),
        B64.encode(ciphertext),
        B64.encode(tag)
    ))
}

/// Decrypts a compact JWE made by [`jwe_encrypt`] (what a viewer does with the link's key).
pub fn jwe_decrypt(key: &[u8; 32], jwe: &str) -> Result<(serde_json::Value, Vec<u8>), String> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [protected, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err("not a compact JWE".into());
    };
    if !encrypted_key.is_empty() {
        return Err("alg dir carries no encrypted key".into());
    }
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(protected).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if header["alg"] != "dir" || header["enc"] != "A256GCM" {
        return Err("unsupported JWE algorithms".into());
    }
    let iv = B64.decode(iv).map_err(|e| e.to_string())?;
    let mut sealed = B64.decode(ciphertext).map_err(|e| e.to_string())?;
    sealed.extend(B64.decode(tag).map_err(|e| e.to_string())?);
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|e| e.to_string())?;
    let plain = cipher
        .decrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: &sealed,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| "the file does not decrypt with this key".to_string())?;
    Ok((header, plain))
}

/// How long a file location handed out by a manifest works.
pub const LOCATION_SECS: i64 = 3600;

/// The signature of a file location: only the server, which keeps the manifest token's hash,
/// can make it; it names the link and the time it stops working.
pub fn location_signature(manifest_hash: &str, share_id: &str, until: i64) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(manifest_hash.as_bytes()).expect("HMAC key");
    m.update(format!("{share_id}|{until}").as_bytes());
    B64.encode(m.finalize().into_bytes())
}

/// Whether `signature` is the one [`location_signature`] makes (compared in constant time).
pub fn location_valid(manifest_hash: &str, share_id: &str, until: i64, signature: &str) -> bool {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(manifest_hash.as_bytes()).expect("HMAC key");
    m.update(format!("{share_id}|{until}").as_bytes());
    B64.decode(signature)
        .is_ok_and(|sig| m.verify_slice(&sig).is_ok())
}

/// The link's payload (`shlink:/` + base64url of its minified JSON).
pub fn payload(url: &str, key: &str, exp: i64, label: &str) -> String {
    let json = serde_json::json!({ "url": url, "key": key, "exp": exp, "flag": "P", "label": label, "v": 1 });
    format!("shlink:/{}", B64.encode(json.to_string()))
}

/// Reads a `shlink:/…` payload, with or without a viewer address before `#`.
pub fn read_payload(link: &str) -> Option<serde_json::Value> {
    let p = link.rsplit_once('#').map_or(link, |(_, f)| f);
    let b = p.strip_prefix("shlink:/")?;
    serde_json::from_slice(&B64.decode(b).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_decrypts_with_the_links_key_only() {
        let key: [u8; 32] = rand::random();
        let jwe = jwe_encrypt(
            &key,
            "application/fhir+json",
            b"{\"resourceType\":\"Bundle\"}",
        )
        .unwrap();
        assert_eq!(jwe.split('.').count(), 5);
        assert_eq!(jwe.split('.').nth(1), Some(""), "dir: no encrypted key");
        let (header, plain) = jwe_decrypt(&key, &jwe).unwrap();
        assert_eq!(header["cty"], "application/fhir+json");
        assert_eq!(plain, b"{\"resourceType\":\"Bundle\"}");
        let other: [u8; 32] = rand::random();
        assert!(jwe_decrypt(&other, &jwe).is_err());
        // A fresh IV each time.
        let again = jwe_encrypt(
            &key,
            "application/fhir+json",
            b"{\"resourceType\":\"Bundle\"}",
        )
        .unwrap();
        assert_ne!(jwe.split('.').nth(2), again.split('.').nth(2));
        // A changed byte of the ciphertext is refused.
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        let mut c = B64.decode(&parts[3]).unwrap();
        c[0] ^= 1;
        parts[3] = B64.encode(c);
        assert!(jwe_decrypt(&key, &parts.join(".")).is_err());
    }

    #[test]
    fn passcodes_are_stored_salted_and_checked() {
        let a = hash_passcode("246810");
        let b = hash_passcode("246810");
        assert_ne!(a, b, "salted");
        assert!(!a.contains("246810"));
        assert!(passcode_matches(&a, "246810"));
        assert!(!passcode_matches(&a, "246811"));
        assert!(!passcode_matches("garbage", "246810"));
    }

    #[test]
    fn the_payload_follows_the_specification() {
        let url = format!("https://dichvucong.hanoi.gov.vn/shl/{}", random_b64());
        let key = random_b64();
        assert_eq!(key.len(), 43);
        let link = format!(
            "https://x/chia-se-suc-khoe#{}",
            payload(&url, &key, 1_800_000_000, "Cho bác sĩ")
        );
        let p = read_payload(&link).unwrap();
        assert_eq!(p["url"], url.as_str());
        assert!(url.len() <= 128);
        assert_eq!(p["flag"], "P");
        assert_eq!(p["exp"], 1_800_000_000);
        assert_eq!(p["key"], key.as_str());
        assert!(
            !link.split('#').nth(1).unwrap().contains('='),
            "base64url without padding"
        );
    }
}
