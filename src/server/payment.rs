//! Fee payment through a gateway speaking the VNPay protocol (version 2.1.0).
//!
//! The portal sends the browser to the gateway with a signed query string. The gateway calls
//! back twice: the browser comes back to a page that only displays, and the gateway calls the
//! IPN URL server-to-server. Only a correctly signed IPN, for a known order, with the amount
//! the server computed, moves a payment — once.

use crate::server::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;

type HmacSha512 = Hmac<Sha512>;

/// The parameters, sorted by name, without empty values and without the hash itself, as
/// `application/x-www-form-urlencoded` — the exact string both sides sign.
pub fn signing_data(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| !v.is_empty() && k != "vnp_SecureHash" && k != "vnp_SecureHashType")
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in sorted {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// HMAC-SHA512 of the signing data, lower-case hex.
pub fn sign(params: &[(String, String)], secret: &str) -> String {
    let mut mac = HmacSha512::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(signing_data(params).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks `vnp_SecureHash` in constant time.
pub fn verify(params: &[(String, String)], secret: &str) -> bool {
    let Some(given) = params
        .iter()
        .find(|(k, _)| k == "vnp_SecureHash")
        .and_then(|(_, v)| hex::decode(v.to_ascii_lowercase()).ok())
    else {
        return false;
    };
    let mut mac = HmacSha512::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(signing_data(params).as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// `yyyyMMddHHmmss` in Hà Nội time, as the protocol wants its dates.
pub fn vnp_date(t: DateTime<Utc>) -> String {
    crate::domain::calendar::to_local(t)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// What a payment URL is made of.
pub struct PaymentRequest<'a> {
    /// Order reference (unique per attempt).
    pub txn_ref: &'a str,
    /// Amount in đồng.
    pub amount_vnd: i64,
    /// Shown by the gateway.
    pub order_info: &'a str,
    /// Where the browser comes back.
    pub return_url: &'a str,
    /// The resident's address.
    pub ip: &'a str,
    /// When the attempt was made: the payment page is valid for [`PAGE_MINUTES`] from then.
    pub created_at: DateTime<Utc>,
}

/// How long the gateway's payment page of an attempt stays valid (`vnp_ExpireDate`).
pub const PAGE_MINUTES: i64 = 15;

/// The signed gateway URL the browser is sent to.
pub fn payment_url(state: &AppState, r: &PaymentRequest) -> String {
    let c = &state.config;
    let mut params: Vec<(String, String)> = [
        ("vnp_Version", "2.1.0".to_string()),
        ("vnp_Command", "pay".into()),
        ("vnp_TmnCode", c.payment_tmn_code.clone()),
        // The protocol counts in hundredths of a đồng.
        ("vnp_Amount", (r.amount_vnd * 100).to_string()),
        ("vnp_CurrCode", "VND".into()),
        ("vnp_TxnRef", r.txn_ref.into()),
        ("vnp_OrderInfo", r.order_info.into()),
        ("vnp_OrderType", "other".into()),
        ("vnp_Locale", "vn".into()),
        ("vnp_ReturnUrl", r.return_url.into()),
        ("vnp_IpAddr", r.ip.into()),
        ("vnp_CreateDate", vnp_date(r.created_at)),
        (
            "vnp_ExpireDate",
            vnp_date(r.created_at + chrono::Duration::minutes(PAGE_MINUTES)),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let hash = sign(&params, c.payment_secret.expose());
    params.push(("vnp_SecureHash".into(), hash));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    format!("{}?{query}", c.payment_gateway_url)
}

/// The IPN answer: `RspCode` and `Message` as the protocol documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpnAnswer {
    /// 00 — recorded (paid, or a failure recorded).
    Confirmed,
    /// 01 — no such order.
    OrderNotFound,
    /// 02 — this order was already settled.
    AlreadyConfirmed,
    /// 04 — the amount is not the one asked.
    InvalidAmount,
    /// 97 — bad signature.
    InvalidChecksum,
    /// 99 — anything else.
    Other,
}

impl IpnAnswer {
    /// `(RspCode, Message)`.
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            IpnAnswer::Confirmed => ("00", "Confirm Success"),
            IpnAnswer::OrderNotFound => ("01", "Order not found"),
            IpnAnswer::AlreadyConfirmed => ("02", "Order already confirmed"),
            IpnAnswer::InvalidAmount => ("04", "invalid amount"),
            IpnAnswer::InvalidChecksum => ("97", "Invalid signature"),
            IpnAnswer::Other => ("99", "Unknow error"),
        }
    }
}

fn answer(a: IpnAnswer) -> Response {
    let (code, message) = a.code();
    let mut r = (
        StatusCode::OK,
        serde_json::json!({ "RspCode": code, "Message": message }).to_string(),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /payments/vnpay/ipn?…`: the gateway's server-to-server notice. The signature is
/// checked over the raw parameters before anything else.
pub async fn ipn(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    answer(handle_ipn(&state, &params).await)
}

/// The IPN decision, separate from HTTP for testing.
pub async fn handle_ipn(state: &AppState, params: &[(String, String)]) -> IpnAnswer {
    if !verify(params, state.config.payment_secret.expose()) {
        tracing::warn!("payment notice with a bad signature");
        return IpnAnswer::InvalidChecksum;
    }
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if get("vnp_TmnCode") != state.config.payment_tmn_code {
        return IpnAnswer::OrderNotFound;
    }
    let payment = match state.db.payment_by_ref(get("vnp_TxnRef")).await {
        Ok(Some(p)) => p,
        Ok(None) => return IpnAnswer::OrderNotFound,
        Err(e) => {
            tracing::error!(error = %e, "payment lookup failed");
            return IpnAnswer::Other;
        }
    };
    if get("vnp_Amount").parse::<i64>().ok() != Some(payment.amount_vnd * 100) {
        return IpnAnswer::InvalidAmount;
    }
    if payment.status != "pending" {
        return IpnAnswer::AlreadyConfirmed;
    }
    let paid = get("vnp_ResponseCode") == "00" && get("vnp_TransactionStatus") == "00";
    let settle = crate::server::db::payments::Settlement {
        paid,
        provider_txn_no: get("vnp_TransactionNo"),
        bank_code: get("vnp_BankCode"),
        response_code: get("vnp_ResponseCode"),
        at: Utc::now(),
    };
    use crate::server::db::payments::Settled;
    match state.db.settle_payment(&payment, &settle).await {
        Ok(Settled::Paid | Settled::Failed) => IpnAnswer::Confirmed,
        Ok(Settled::Duplicate) => {
            // Recorded (the gateway must not send it again); the refund is the ward's to make.
            tracing::warn!(dossier = %payment.dossier_id, "payment for a fee already paid: refund due");
            IpnAnswer::Confirmed
        }
        // A twin notice settled it a moment ago.
        Ok(Settled::AlreadySettled) => IpnAnswer::AlreadyConfirmed,
        Err(e) => {
            tracing::error!(error = %e, "payment settlement failed");
            IpnAnswer::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Signatures made by npm `vnpay` 2.5.0 (`buildPaymentUrlSearchParams` +
    /// `calculateSecureHash`, SHA512) for these parameters and the secret `SANDBOXSECRET`,
    /// recorded with `node end2end/sandbox/vnpay-vector.mjs`.
    #[test]
    fn signatures_match_the_npm_vnpay_library() {
        let params = p(&[
            ("vnp_Amount", "1600000"),
            ("vnp_Command", "pay"),
            ("vnp_CreateDate", "20261123083000"),
            ("vnp_CurrCode", "VND"),
            ("vnp_IpAddr", "127.0.0.1"),
            ("vnp_Locale", "vn"),
            (
                "vnp_OrderInfo",
                "Lệ phí hồ sơ 00070-261123-0001 (đăng ký khai sinh)",
            ),
            ("vnp_OrderType", "other"),
            (
                "vnp_ReturnUrl",
                "http://127.0.0.1:3000/ho-so/00070-261123-0001?thanh-toan=ve",
            ),
            ("vnp_TmnCode", "DVCHN001"),
            ("vnp_TxnRef", "a1b2c3"),
            ("vnp_Version", "2.1.0"),
        ]);
        assert_eq!(
            signing_data(&params),
            include_str!("../../tests/fixtures/vnpay-vector.data").trim_end()
        );
        assert_eq!(
            sign(&params, "SANDBOXSECRET"),
            include_str!("../../tests/fixtures/vnpay-vector.hash").trim_end()
        );
    }

    #[test]
    fn verification_rejects_any_change() {
        let mut params = p(&[("vnp_Amount", "1600000"), ("vnp_TxnRef", "x")]);
        let h = sign(&params, "s");
        params.push(("vnp_SecureHash".into(), h.to_uppercase()));
        assert!(verify(&params, "s"), "hex case does not matter");
        assert!(!verify(&params, "other secret"));
        params[0].1 = "1700000".into();
        assert!(!verify(&params, "s"));
        assert!(!verify(&p(&[("vnp_Amount", "1")]), "s"), "no hash at all");
    }
}
