use supportgate_crypto::SecretKey;

use super::*;

fn signer() -> SigningKey {
    SigningKey::from_seed(&SecretKey::generate().unwrap()).unwrap()
}

fn claims() -> Vec<u8> {
    serde_json::to_vec(&Claims {
        cid: CredentialId::new().to_string(),
        sub: SubjectId::new().to_string(),
        role: "customer".into(),
        ten: Some(TenantId::new().to_string()),
        iat: 0,
        exp: 1,
    })
    .unwrap()
}

fn reason(e: ServiceError) -> &'static str {
    e.reason()
}

#[test]
fn a_signed_token_parses_back_to_its_claims() {
    let key = signer();
    let token = sign_token(&key, &claims());
    assert!(token.starts_with(TOKEN_PREFIX));
    assert_eq!(parse_claims(&key, &token).unwrap().role, "customer");
}

#[test]
fn a_token_signed_by_another_gateway_is_rejected() {
    let token = sign_token(&signer(), &claims());
    assert_eq!(
        reason(parse_claims(&signer(), &token).err().unwrap()),
        "CREDENTIAL_INVALID"
    );
}

#[test]
fn changing_the_claims_breaks_the_signature() {
    let key = signer();
    let token = sign_token(&key, &claims());
    let (payload, signature) = token
        .strip_prefix(TOKEN_PREFIX)
        .unwrap()
        .split_once('.')
        .unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    json["role"] = "admin".into();
    let forged = format!(
        "{TOKEN_PREFIX}{}.{signature}",
        URL_SAFE_NO_PAD.encode(json.to_string())
    );
    assert_eq!(
        reason(parse_claims(&key, &forged).err().unwrap()),
        "CREDENTIAL_INVALID"
    );
}

#[test]
fn garbage_and_oversize_tokens_are_malformed() {
    let key = signer();
    for token in [
        "",
        "Bearer",
        "sg1.",
        "sg1.abc",
        "sg1.!!!.???",
        "eyJhbGciOi.x.y",
        &"a".repeat(5000),
    ] {
        assert_eq!(
            reason(parse_claims(&key, token).err().unwrap()),
            "CREDENTIAL_MALFORMED",
            "{token:.20}"
        );
    }
}
