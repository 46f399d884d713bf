//! Static files the API's URLs point at, so a browser can show them: drawn SVG avatars and listing
//! pictures, uploaded and customer images, and voice files behind one-hour links (A4 #9).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::query::Params;
use crate::sim::Simulator;
use crate::wire::ApiError;

const SVG: &str = "image/svg+xml";

pub(crate) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/static/avatars/{file}", get(avatar))
        .route("/static/items/{file}", get(item))
        .route("/static/images/{image_id}/{size}", get(image))
        .route("/static/voices/{file}", get(voice))
}

fn file(content_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CACHE_CONTROL, "max-age=3600".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

fn id_of(file: &str, extension: &str) -> Option<i64> {
    file.strip_suffix(extension)?.parse().ok()
}

async fn avatar(State(sim): State<Simulator>, Path(file_name): Path<String>) -> Response {
    let Some(user_id) = id_of(&file_name, ".svg") else {
        return ApiError::NotFound.into_response();
    };
    let name = sim
        .state()
        .user_names
        .get(&user_id)
        .cloned()
        .unwrap_or_else(|| {
            if user_id == 0 {
                "Авито".into()
            } else {
                "?".into()
            }
        });
    file(SVG, avatar_svg(user_id, &name).into_bytes())
}

async fn item(State(sim): State<Simulator>, Path(file_name): Path<String>) -> Response {
    let Some(item_id) = id_of(&file_name, ".svg") else {
        return ApiError::NotFound.into_response();
    };
    let Some((title, price)) = sim
        .state()
        .listing(item_id)
        .map(|l| (l.title.clone(), l.price_string.clone()))
    else {
        return ApiError::NotFound.into_response();
    };
    file(SVG, item_svg(item_id, &title, &price).into_bytes())
}

/// Every size name serves the original bytes: the simulator does not resize.
async fn image(
    State(sim): State<Simulator>,
    Path((image_id, _size)): Path<(String, String)>,
) -> Response {
    let state = sim.state();
    match state.images.get(&image_id) {
        Some(image) => file(image.content_type, image.bytes.clone()),
        None => ApiError::NotFound.into_response(),
    }
}

async fn voice(State(sim): State<Simulator>, Path(file_name): Path<String>, uri: Uri) -> Response {
    let Some(voice_id) = file_name.strip_suffix(".mp4") else {
        return ApiError::NotFound.into_response();
    };
    let q = Params::parse(uri.query().unwrap_or_default());
    let state = sim.state();
    let valid = q
        .get("t")
        .and_then(|t| state.voice_links.get(t))
        .is_some_and(|(id, expires)| id == voice_id && *expires > state.now_ms());
    if !valid {
        return ApiError::Forbidden.into_response();
    }
    match state.voices.get(voice_id) {
        // A4 #9: opus inside an mp4 container.
        Some(bytes) => file("audio/mp4", bytes.clone()),
        None => ApiError::NotFound.into_response(),
    }
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// A colour derived from an id, stable across runs.
fn hue(id: i64) -> u64 {
    id.unsigned_abs().wrapping_mul(2_654_435_761) % 360
}

fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters
    }
}

/// A square avatar with the user's initials on a colour from the id.
pub(crate) fn avatar_svg(user_id: i64, name: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256"><rect width="256" height="256" fill="hsl({h},55%,45%)"/><text x="128" y="128" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="104" fill="#fff">{text}</text></svg>"##,
        h = hue(user_id),
        text = escape(&initials(name)),
    )
}

/// A listing picture: the title and price on a colour from the id.
pub(crate) fn item_svg(item_id: i64, title: &str, price: &str) -> String {
    let short: String = title.chars().take(28).collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480" viewBox="0 0 640 480"><rect width="640" height="480" fill="hsl({h},40%,85%)"/><rect x="24" y="24" width="592" height="432" rx="16" fill="none" stroke="hsl({h},40%,45%)" stroke-width="6"/><text x="320" y="220" text-anchor="middle" font-family="sans-serif" font-size="40" fill="#222">{title}</text><text x="320" y="290" text-anchor="middle" font-family="sans-serif" font-size="34" fill="#555">{price}</text></svg>"##,
        h = hue(item_id),
        title = escape(&short),
        price = escape(price),
    )
}

/// A stand-in for a photo a customer sent.
pub(crate) fn photo_svg(image_id: &str) -> String {
    let seed = image_id.bytes().fold(7i64, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(i64::from(b))
    });
    let h = hue(seed);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="960" viewBox="0 0 1280 960"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl({h},60%,70%)"/><stop offset="1" stop-color="hsl({h2},60%,35%)"/></linearGradient></defs><rect width="1280" height="960" fill="url(#g)"/><text x="640" y="480" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="96" fill="#fff">Фото</text></svg>"##,
        h2 = (h + 60) % 360,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_escaping() {
        assert_eq!(initials("Анна Петрова"), "АП");
        assert_eq!(initials("bob"), "B");
        assert_eq!(initials("  "), "?");
        let svg = item_svg(1, "<Mazda & Co>", "300 000 ₽");
        assert!(svg.contains("&lt;Mazda &amp; Co&gt;"));
        assert!(avatar_svg(5, "Анна").contains(">А</text>"));
    }
}
