//! The health probes.

use treeherd_tests::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = TestApp::spawn().await;
    for probe in ["healthz", "readyz"] {
        let response = app
            .client
            .get(format!("{}/{probe}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{probe}");
    }
}

#[tokio::test]
async fn graphiql_is_served() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("graphiql"));
}
