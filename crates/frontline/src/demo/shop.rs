//! A tiny stand-in for an online shop's own API, served by frontline itself when `demo.shop` is on,
//! so the demo workflow's Action nodes have something real to call offline: order status, bonus
//! balance and change requests. Answers are derived from the input (the same order number always
//! has the same status), so a demo can be repeated and a test can predict them.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::{
    Json, Router,
    extract::{Path, Query},
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where the demo shop is mounted.
pub const PREFIX: &str = "/demo/shop";

const STATUSES: [&str; 4] = [
    "собирается на складе",
    "передан в доставку",
    "ждёт вас в пункте выдачи",
    "доставлен",
];

fn digits_sum(s: &str) -> u64 {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u64::from(b - b'0'))
        .sum()
}

/// `GET /orders/{number}`: six digits; `000000` is a known unknown (404).
async fn order(Path(number): Path<String>) -> (StatusCode, Json<Value>) {
    if number.len() != 6 || !number.bytes().all(|b| b.is_ascii_digit()) || number == "000000" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "order not found"})),
        );
    }
    let n = digits_sum(&number);
    let status = STATUSES[(n % 4) as usize];
    let eta = format!("{} декабря", 1 + n % 28);
    (
        StatusCode::OK,
        Json(json!({"number": number, "status": status, "eta": eta})),
    )
}

#[derive(Deserialize)]
struct PhoneQuery {
    phone: String,
}

/// `GET /bonus?phone=+7…`.
async fn bonus(Query(q): Query<PhoneQuery>) -> (StatusCode, Json<Value>) {
    let digits = q.phone.bytes().filter(u8::is_ascii_digit).count();
    if digits < 10 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "phone expected"})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({"phone": q.phone, "balance": digits_sum(&q.phone) * 37})),
    )
}

static REQUESTS: AtomicU64 = AtomicU64::new(1000);

/// `POST /requests`: a change request; answers its id.
async fn request(Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    if !body.is_object() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "object expected"})),
        );
    }
    let id = REQUESTS.fetch_add(1, Ordering::Relaxed) + 1;
    (
        StatusCode::CREATED,
        Json(json!({"id": format!("R-{id}"), "request": body})),
    )
}

pub fn router() -> Router {
    Router::new().nest(
        PREFIX,
        Router::new()
            .route("/orders/{number}", get(order))
            .route("/bonus", get(bonus))
            .route("/requests", post(request)),
    )
}
