//! The web app's routes: the app (or, in a build without it, the page saying how to build it) at `/`
//! and at any page path, files as files, and the API's JSON 404 for everything else.

use reqwest::header;

use crate::helpers::spawn_app;

#[tokio::test]
async fn pages_get_the_app_and_everything_else_a_precise_404() {
    let app = spawn_app().await;
    let get = |path: &'static str| {
        let req = app.http.get(app.url(path));
        async move { req.send().await.unwrap() }
    };

    let root = get("/").await;
    assert_eq!(root.status(), 200);
    let ctype = root.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ctype.starts_with("text/html"), "{ctype}");
    let csp = root.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(root.headers()[header::CACHE_CONTROL], "no-cache");
    let page = root.text().await.unwrap();
    if frontline_api::web::is_built() {
        assert!(page.contains("<div id=\"root\">"), "the built app: {page}");
    } else {
        assert!(page.contains("npm run build"), "how to build it: {page}");
    }

    // A page of the app, reloaded in the browser, is the same document.
    let deep = get("/chats/42").await;
    assert_eq!(deep.status(), 200);
    assert_eq!(deep.text().await.unwrap(), page);

    // Unknown API routes, missing files and other methods stay JSON errors.
    for path in [
        "/api/v1/nope",
        "/api",
        "/missing.js",
        "/assets/gone-1234.css",
    ] {
        let r = get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let r = app.http.post(app.url("/chats/42")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn built_files_are_served_with_their_type_and_cached_by_name() {
    if !frontline_api::web::is_built() {
        // A `cargo build` without Node has no files to serve; `scripts/test` builds the app first
        // and says so, so the whole suite always runs the assertions below.
        assert!(
            std::env::var_os("FRONTLINE_TEST_WEB_BUILT").is_none(),
            "scripts/test built web/dist, yet the server does not see it"
        );
        return;
    }
    let app = spawn_app().await;
    let page = app.http.get(app.url("/")).send().await.unwrap();
    let html = page.text().await.unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("index.html loads a script")
        .to_owned();
    assert!(script.starts_with("/assets/"), "{script}");
    let r = app.http.get(app.url(&script)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(
        r.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = r.headers()[header::ETAG].clone();
    let again = app
        .http
        .get(app.url(&script))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}
