//! GraphiQL, served by the binary itself: the page at `/graphiql` (and on a plain GET of
//! `/graphql`) and its files at `/ui/vendor/graphiql/{file}`, embedded from
//! `ui/vendor/graphiql/` at build time. The page loads nothing from elsewhere (no CDN), so it
//! works where the network ends at the host, as build networks do.
//!
//! The vendored files (GraphiQL 3.8.3's UMD bundle and style sheet, React and ReactDOM
//! 18.3.1; packages, licences and checksums in `ui/vendor/graphiql/README.md`) carry their
//! version in their names and are cached for a year; the page and its mount script are ours,
//! revalidated on each load like the UI's own files (`crate::ui`, whose serving this reuses).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::ui::{self, Asset, CSS, HTML, JS};

macro_rules! vendored {
    ($name:literal, $content_type:expr) => {
        ui::versioned_asset(
            $name,
            $content_type,
            include_str!(concat!("../../ui/vendor/graphiql/", $name)),
        )
    };
}

/// The page, served at `/graphiql`.
static PAGE: Asset = ui::asset(
    "graphiql.html",
    HTML,
    include_str!("../../ui/vendor/graphiql/graphiql.html"),
);

/// Everything the page loads. A test checks that each file it names is served.
static FILES: &[Asset] = &[
    vendored!("graphiql-3.8.3.min.css", CSS),
    vendored!("graphiql-3.8.3.min.js", JS),
    vendored!("react-18.3.1.production.min.js", JS),
    vendored!("react-dom-18.3.1.production.min.js", JS),
    ui::asset(
        "graphiql-mount.js",
        JS,
        include_str!("../../ui/vendor/graphiql/graphiql-mount.js"),
    ),
];

/// What the page may load and connect to: this host only. Styles may be inline because
/// GraphiQL's components inject `<style>` elements; fonts are `data:` URLs in its style sheet.
/// `connect-src 'self'` covers the same-origin WebSocket of subscriptions.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; \
     img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'none'";

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/graphiql", web::get().to(page))
        .route("/ui/vendor/graphiql/{file}", web::get().to(file));
}

/// The GraphiQL page, under a policy that keeps it on this host.
pub(crate) async fn page(request: HttpRequest) -> HttpResponse {
    let mut response = ui::serve(&request, &PAGE);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

async fn file(request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    ui::serve_named(&request, FILES, &name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;
    use actix_web::http::StatusCode;
    use actix_web::test as actix_test;

    const PAGE_HTML: &str = include_str!("../../ui/vendor/graphiql/graphiql.html");

    /// Where the page finds its files (the route of `configure`).
    const FILES_PATH: &str = "/ui/vendor/graphiql/";

    async fn get(path: &str) -> actix_web::dev::ServiceResponse {
        let app = actix_test::init_service(App::new().configure(configure)).await;
        actix_test::call_service(&app, actix_test::TestRequest::get().uri(path).to_request()).await
    }

    fn header_of(response: &actix_web::dev::ServiceResponse, name: header::HeaderName) -> String {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Every `src="…"`/`href="…"` of the page.
    fn referenced() -> Vec<&'static str> {
        ["src=\"", "href=\""]
            .iter()
            .flat_map(|attribute| PAGE_HTML.split(attribute).skip(1))
            .filter_map(|part| part.split('"').next())
            .collect()
    }

    #[actix_web::test]
    async fn the_page_is_served_with_a_policy_that_keeps_it_on_this_host() {
        let response = get("/graphiql").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_of(&response, header::CONTENT_TYPE), HTML);
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
        let policy = header_of(&response, header::CONTENT_SECURITY_POLICY);
        assert!(policy.starts_with("default-src 'self';"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        let body = actix_test::read_body(response).await;
        assert_eq!(body, PAGE_HTML.as_bytes());
    }

    /// The page names only files of this host, each one served with its content type (the
    /// vendored ones for a year, ours revalidated), and as many as are embedded: none is
    /// embedded for nothing.
    #[actix_web::test]
    async fn every_file_the_page_loads_is_served_from_the_binary() {
        let mut files = referenced();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), FILES.len(), "{files:?}");
        for path in files {
            assert!(path.starts_with(FILES_PATH), "{path} is not one of ours");
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let expected = if path.ends_with(".css") { CSS } else { JS };
            assert_eq!(
                header_of(&response, header::CONTENT_TYPE),
                expected,
                "{path}"
            );
            assert_eq!(
                header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
                "nosniff"
            );
            let cache = header_of(&response, header::CACHE_CONTROL);
            if path.ends_with("graphiql-mount.js") {
                assert_eq!(cache, "no-cache");
            } else {
                assert_eq!(cache, "public, max-age=31536000, immutable", "{path}");
            }
            assert!(!actix_test::read_body(response).await.is_empty(), "{path}");
        }
    }

    #[actix_web::test]
    async fn only_embedded_files_are_served() {
        for path in [
            "/ui/vendor/graphiql/nope.js",
            "/ui/vendor/graphiql/graphiql.html",
            "/ui/vendor/graphiql/README.md",
            "/ui/vendor/graphiql/..%2F..%2Fapp.js",
        ] {
            assert_eq!(get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
}
