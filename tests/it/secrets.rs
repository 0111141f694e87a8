//! A secret given through `${VAR}` never appears in terminal output or
//! report.json, even when the server echoes it back.

use crate::support::{run_feature, sandbox};

const CANARY: &str = "canary-7d1f0c9e-secret-value";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_never_appears_in_output_or_reports() {
    let sb = sandbox(&[], &[]).await;
    // The sandbox echoes unknown paths in its 404 body, so the secret comes
    // back in the response, the URL, the error message and the HTTP evidence.
    let o = run_feature(
        &sb.origin(),
        "@local\nFeature: echo\n  Scenario: the secret is echoed back\n    Given the \"engine\" service\n    \
And the header \"X-Operator-Token\" is \"${LUCIA_OPERATOR_TOKEN}\"\n    When I GET \"/echo/${LUCIA_OPERATOR_TOKEN}\"\n    \
Then the status is 200\n  Scenario: a failing JSON check quotes the body\n    Given the \"engine\" service\n    \
When I GET \"/echo/${LUCIA_OPERATOR_TOKEN}\"\n    Then the JSON matches:\n      \"\"\"\n      {\"error\": \"x\"}\n      \"\"\"\n",
        &[("LUCIA_OPERATOR_TOKEN", CANARY)],
    )
    .await;
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    let all = o.all_output();
    assert!(
        all.contains("${LUCIA_OPERATOR_TOKEN}"),
        "the redaction marker shows where the secret was:\n{all}"
    );
    assert!(!all.contains(CANARY), "the secret leaked:\n{all}");
    // The canary really went out (the echo proves the check is not vacuous).
    let msg = o.scenario("echoed back")["error"]["message"]
        .as_str()
        .expect("msg")
        .to_owned();
    assert!(msg.contains("/echo/${LUCIA_OPERATOR_TOKEN}"), "{msg}");
}
