import Testing

@testable import Proxy
@testable import ProxyUpstream

@Suite struct AuthChallengeTests {
    static let cases: [(String, [AuthChallenge])] = [
        // Docker Hub, as sent on GET /v2/library/alpine/manifests/latest.
        (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
         [.bearer(realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull")]),
        // Docker Hub on GET /v2/ (no scope).
        (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#,
         [.bearer(realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: nil)]),
        // GHCR.
        (#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
         [.bearer(realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:user/image:pull")]),
        // Insufficient scope, with the extra error parameter.
        (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull",error="insufficient_scope""#,
         [.bearer(realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:a/b:pull")]),
        // A scope list with a comma inside the quotes.
        (#"Bearer realm="https://x/t",scope="repository:a:pull,push""#,
         [.bearer(realm: "https://x/t", service: nil, scope: "repository:a:pull,push")]),
        (#"Basic realm="Registry Realm""#, [.basic(realm: "Registry Realm")]),
        ("Basic", [.basic(realm: nil)]),
        (#"Basic realm="a", Bearer realm="https://x/token",service="x""#,
         [.basic(realm: "a"), .bearer(realm: "https://x/token", service: "x", scope: nil)]),
        (#"Bearer realm="https://x/token", Basic realm="b""#,
         [.bearer(realm: "https://x/token", service: nil, scope: nil), .basic(realm: "b")]),
        (#"Basic, Bearer realm="r""#, [.basic(realm: nil), .bearer(realm: "r", service: nil, scope: nil)]),
        // Case-insensitive scheme and names, token values, BWS.
        (#"bearer Realm="https://x", SERVICE=svc"#, [.bearer(realm: "https://x", service: "svc", scope: nil)]),
        (#"BEARER realm = "https://x" , service = "s""#, [.bearer(realm: "https://x", service: "s", scope: nil)]),
        ("Bearer\trealm=\"r\"", [.bearer(realm: "r", service: nil, scope: nil)]),
        // Quoted-pair escapes.
        (#"Bearer realm="https://x/t",scope="a\"b\\c""#, [.bearer(realm: "https://x/t", service: nil, scope: #"a"b\c"#)]),
        (#"Bearer realm="r\,s""#, [.bearer(realm: "r,s", service: nil, scope: nil)]),
        // First occurrence wins.
        (#"Bearer realm="a",realm="b""#, [.bearer(realm: "a", service: nil, scope: nil)]),
        // Unknown schemes and token68 are skipped.
        (#"Negotiate abc==, Bearer realm="r""#, [.bearer(realm: "r", service: nil, scope: nil)]),
        ("Newauth abc/def==", []),
        (#"Newauth abc==, Basic realm="x""#, [.basic(realm: "x")]),
        (#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#, [.basic(realm: "simple")]),
        // Unusable: no realm, empty realm, unterminated quotes, garbage.
        (#"Bearer service="x""#, []),
        (#"Bearer realm="""#, []),
        (#"Bearer realm="https://x"#, []),
        (#"Basic realm="a", Bearer realm="x"#, [.basic(realm: "a")]),
        (#"Bearer realm="r",service="unterminated"#, []),
        ("", []),
        (",,, ,", []),
        ("=", []),
        (#"realm="x""#, []),
        ("\"Bearer\" realm=x", []),
    ]

    @Test(arguments: cases)
    func parsesEveryChallengeInTheField(header: String, expected: [AuthChallenge]) {
        #expect(AuthChallenge.parse(header) == expected)
    }
}
