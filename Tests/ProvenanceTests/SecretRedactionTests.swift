import JSON
import XCTest
@testable import Provenance

final class SecretRedactionTests: XCTestCase {
    func testURLPasswordsAreHiddenWhereverTheyStand() {
        let cases: [(String, String)] = [
            ("postgres://u:pw@h/db", "postgres://u:***@h/db"),
            ("see https://a:b@x.io/p?q=1 and redis://:tok@r:6379", "see https://a:***@x.io/p?q=1 and redis://:***@r:6379"),
            ("https://x.io/path@2x.png", "https://x.io/path@2x.png"),   // '@' after the authority: no userinfo
            ("mysql://user@h/db", "mysql://user@h/db"),                 // no password
            ("plain text", "plain text"),
            ("s3://k:s/ecret@b", "s3://k:s/ecret@b"),                    // '/' ends the authority first
        ]
        for (input, want) in cases { XCTAssertEqual(SecretRedaction.hidingURLCredentials(input), want, input) }
    }

    func testNamesByFragmentAndWorkspaceExtras() {
        let r = SecretRedaction(extraNames: ["broker"])
        for name in ["DB_PASS", "db_password", "PGPWD", "AWS_CREDENTIALS", "auth_header", "PRIVATE_PEM", "BROKER_ID", "api_key"] {
            XCTAssertTrue(r.isSecret(name), name)
        }
        for name in ["fast", "slow", "capital", "DATA_DIR"] { XCTAssertFalse(r.isSecret(name), name) }
        XCTAssertFalse(SecretRedaction.standard.isSecret("BROKER_ID"))
    }

    func testParamsAndArgvAreMaskedByNameAndValue() {
        let r = SecretRedaction.standard
        let params: JSONObject = ["password": "pw1", "fast": 10, "nested": ["token": 7, "url": "ftp://a:b@c"]]
        let shown = r.redact(params: params)
        XCTAssertEqual(shown["password"], "***")
        XCTAssertEqual(shown["fast"], 10)
        XCTAssertEqual(shown["nested"]?["token"], "***")
        XCTAssertEqual(shown["nested"]?["url"], "ftp://a:***@c")
        let secrets = r.secretValues(params: params, env: ["API_KEY": "k9"])
        XCTAssertEqual(r.redact(argv: ["py", "--password", "pw1", "--key=k9", "--fast", "10"], secretValues: secrets),
                       ["py", "--password", "***", "--key=***", "--fast", "10"])
    }
}
