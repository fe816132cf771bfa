import Testing

@testable import Proxy
@testable import ProxyRegistry

/// `Link` fields of paginated answers (RFC 8288) rewritten to Cistern's path: the upstream's
/// whole query kept, its scheme, host and path dropped, the client's `ns` appended, and an
/// unusable target dropped rather than copied.
@Suite struct PaginationLinkTests {
    static let path = "/v2/alpine/tags/list"

    static let rewritings: [(upstream: String, namespace: String?, expected: String)] = [
        // distribution's relative form, and its repository name (`library/alpine`) replaced.
        (#"</v2/library/alpine/tags/list?last=b&n=2>; rel="next""#, nil, #"</v2/alpine/tags/list?last=b&n=2>; rel="next""#),
        // Absolute, with an opaque cursor and a fragment: host gone, query whole.
        (#"<https://registry.example:5000/v2/library/alpine/tags/list?n=10&next_page=pg1.6e%3D>; rel="next""#, nil,
         #"</v2/alpine/tags/list?n=10&next_page=pg1.6e%3D>; rel="next""#),
        (#"<https://up.example/v2/x/tags/list?n=10#frag>;rel=next"#, nil, #"</v2/alpine/tags/list?n=10>;rel=next"#),
        // The client's ns appended; an ns of the upstream's own dropped.
        (#"</v2/library/alpine/tags/list?n=10&ns=other&last=c>; rel="next""#, "ns=docker.io",
         #"</v2/alpine/tags/list?n=10&last=c&ns=docker.io>; rel="next""#),
        (#"<https://up.example/v2/library/alpine/tags/list>; rel="next""#, "ns=docker.io", #"</v2/alpine/tags/list?ns=docker.io>; rel="next""#),
        // Two link-values, and a quoted parameter holding `<`: only targets are rewritten.
        (#"</a?n=1&last=x>; rel="next"; title="<not a target>", <https://up.example/b?n=1>; rel="prev""#, nil,
         #"</v2/alpine/tags/list?n=1&last=x>; rel="next"; title="<not a target>", </v2/alpine/tags/list?n=1>; rel="prev""#),
    ]

    @Test(arguments: rewritings)
    func targetsPointAtCisternWithTheUpstreamsWholeQuery(upstream: String, namespace: String?, expected: String) {
        #expect(PaginationLink.rewritten(upstream, path: Self.path, namespaceParameter: namespace) == expected)
    }

    /// Targets whose query could inject bytes into the next request line (or is not one).
    static let unusable: [String] = [
        #"</v2/x/tags/list?n=1&last=a b>; rel="next""#,
        #"</v2/x/tags/list?n=1&last=a%0D%0AHost:%20evil>; rel="next""#,
        #"</v2/x/tags/list?n=1&last=a%00>; rel="next""#,
        #"</v2/x/tags/list?n=1&last=%ZZ>; rel="next""#,
        #"</v2/x/tags/list?n=1&last=é>; rel="next""#,
        #"</v2/x/tags/list?n=1&last=a; rel="next""#,  // no closing `>`
        #"</v2/x/tags/list?ns=a&ns=b>; rel="next""#,
    ]

    @Test(arguments: unusable)
    func aTargetWithAnUnsafeOrMalformedQueryIsDropped(upstream: String) {
        #expect(PaginationLink.rewritten(upstream, path: Self.path, namespaceParameter: nil) == nil)
    }
}
