//! treeherd's own web UI: the files of `ui/` at the repository root, embedded in the binary
//! at build time (nothing to deploy beside it, nothing fetched from elsewhere) and served at
//! `/` (the page) and `/ui/{file}` (its ES modules and style sheet). The UI is a client of
//! `/graphql` like any other.
//!
//! Caching: each file carries an ETag (a hash of its bytes, computed at compile time) and
//! `Cache-Control: no-cache`, so a browser keeps the files yet asks on each load and gets a
//! 304 while they are unchanged. A new binary's UI therefore shows at once, without
//! versioned file names (which ES module imports between the files would have to carry).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// One embedded file.
pub(crate) struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
    hash: u64,
    cache_control: &'static str,
}

pub(crate) const JS: &str = "text/javascript; charset=utf-8";
pub(crate) const CSS: &str = "text/css; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// FNV-1a: enough to tell versions of a file apart, and computable in a `const`.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

pub(crate) const fn asset(
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
) -> Asset {
    Asset {
        name,
        content_type,
        body,
        hash: fnv1a(body.as_bytes()),
        cache_control: "no-cache",
    }
}

/// A file whose name carries its version (a vendored library): its bytes never change under
/// that name, so the browser keeps it a year without asking, and the name stands for the
/// bytes in the ETag (rather than hashing megabytes in `const` evaluation at each build).
pub(crate) const fn versioned_asset(
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
) -> Asset {
    Asset {
        name,
        content_type,
        body,
        hash: fnv1a(name.as_bytes()),
        cache_control: "public, max-age=31536000, immutable",
    }
}

macro_rules! embed {
    ($name:literal, $content_type:expr) => {
        asset(
            $name,
            $content_type,
            include_str!(concat!("../../ui/", $name)),
        )
    };
}

/// The page itself, served at `/`.
static INDEX: Asset = embed!("index.html", HTML);

/// Everything the page loads from `/ui/`. A test checks that this lists every file of `ui/`.
static ASSETS: &[Asset] = &[
    embed!("app.js", JS),
    embed!("classify.js", JS),
    embed!("depgraph.js", JS),
    embed!("features.js", JS),
    embed!("graphql.js", JS),
    embed!("intermittents.js", JS),
    embed!("jobdetail.js", JS),
    embed!("logview.js", JS),
    embed!("machines.js", JS),
    embed!("pinboard.js", JS),
    embed!("pushes.js", JS),
    embed!("releases.js", JS),
    embed!("router.js", JS),
    embed!("scheduled.js", JS),
    embed!("style.css", CSS),
    embed!("token.js", JS),
    embed!("util.js", JS),
];

/// What the page may load and connect to: itself only (no CDN, no inline script).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'none'";

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/ui/{file}", web::get().to(file));
}

async fn index(request: HttpRequest) -> HttpResponse {
    let mut response = serve(&request, &INDEX);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

async fn file(request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    serve_named(&request, ASSETS, &name)
}

/// The file of `assets` called `name`, or 404.
pub(crate) fn serve_named(request: &HttpRequest, assets: &[Asset], name: &str) -> HttpResponse {
    match assets.iter().find(|asset| asset.name == name) {
        Some(asset) => serve(request, asset),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file"),
    }
}

/// The file, or 304 when the browser's copy (`If-None-Match`) is this one.
pub(crate) fn serve(request: &HttpRequest, asset: &Asset) -> HttpResponse {
    let etag = format!("\"{:016x}\"", asset.hash);
    let fresh = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, asset.cache_control))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;
    use actix_web::http::StatusCode;
    use actix_web::test as actix_test;

    async fn get(path: &str, if_none_match: Option<&str>) -> actix_web::dev::ServiceResponse {
        let app = actix_test::init_service(App::new().configure(configure)).await;
        let mut request = actix_test::TestRequest::get().uri(path);
        if let Some(tag) = if_none_match {
            request = request.insert_header((header::IF_NONE_MATCH, tag));
        }
        actix_test::call_service(&app, request.to_request()).await
    }

    fn header_of(response: &actix_web::dev::ServiceResponse, name: header::HeaderName) -> String {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[actix_web::test]
    async fn the_page_is_served_at_the_root_and_never_cached_unchecked() {
        let response = get("/", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_of(&response, header::CONTENT_TYPE), HTML);
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
        assert!(
            header_of(&response, header::CONTENT_SECURITY_POLICY).contains("default-src 'self'")
        );
        let body = actix_test::read_body(response).await;
        assert!(std::str::from_utf8(&body).is_ok_and(|b| b.contains("/ui/app.js")));
    }

    #[actix_web::test]
    async fn files_have_their_content_type_and_an_etag_that_answers_304() {
        let response = get("/ui/app.js", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_of(&response, header::CONTENT_TYPE), JS);
        let etag = header_of(&response, header::ETAG);
        assert!(etag.starts_with('"') && etag.len() == 18, "{etag}");

        let again = get("/ui/app.js", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(actix_test::read_body(again).await.is_empty());

        let listed = get("/ui/app.js", Some(&format!("\"0\", W/{etag}"))).await;
        assert_eq!(listed.status(), StatusCode::NOT_MODIFIED);

        let stale = get("/ui/app.js", Some("\"0000000000000000\"")).await;
        assert_eq!(stale.status(), StatusCode::OK);

        let css = get("/ui/style.css", None).await;
        assert_eq!(header_of(&css, header::CONTENT_TYPE), CSS);
        assert_ne!(header_of(&css, header::ETAG), etag);
    }

    #[actix_web::test]
    async fn only_embedded_files_are_served() {
        for path in [
            "/ui/nope.js",
            "/ui/..%2FCargo.toml",
            "/ui/../Cargo.toml",
            "/ui/",
        ] {
            assert_eq!(
                get(path, None).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }

    /// A file added to `ui/` but not to `ASSETS` would work nowhere but on disk.
    #[test]
    fn every_file_of_the_ui_folder_is_embedded() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| !name.ends_with(".md"))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        embedded.push(INDEX.name.to_owned());
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    /// The page preloads every module beside app.js (so the browser fetches them at once
    /// instead of after reading app.js), and names only modules that are served.
    #[test]
    fn the_page_preloads_every_module() {
        let preloaded: Vec<&str> = INDEX
            .body
            .split("<link rel=\"modulepreload\" href=\"/ui/")
            .skip(1)
            .filter_map(|part| part.split('"').next())
            .collect();
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            assert_eq!(
                preloaded.contains(&asset.name),
                asset.name != "app.js",
                "{} (preloaded: {preloaded:?})",
                asset.name
            );
        }
        assert!(
            preloaded
                .iter()
                .all(|name| ASSETS.iter().any(|a| a.name == *name)),
            "{preloaded:?}"
        );
    }

    /// Every module a module imports (`from './x.js'`) is one that is served.
    #[test]
    fn every_import_names_an_embedded_module() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            for part in asset.body.split("from './").skip(1) {
                let imported = part.split('\'').next().unwrap_or_default();
                assert!(
                    ASSETS.iter().any(|a| a.name == imported),
                    "{} imports {imported}, which is not embedded",
                    asset.name
                );
            }
        }
    }
}
