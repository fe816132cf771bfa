import Testing
@testable import Proxy
@testable import ProxyUpstream

@Suite struct UpstreamErrorTests {
    /// A pre-signed CDN redirect carries its credential in the query; the error text reaches the
    /// log and the client's 502 body, so the query values must not.
    @Test func anUnusableRedirectIsDescribedWithoutItsCredentials() {
        let error = UpstreamError.badRedirect(
            "https://user:pw@cdn.example/blobs/x?X-Amz-Credential=SECRET1&X-Amz-Signature=SECRET2&X-Amz-Expires=300")
        #expect(error.description
            == "unusable redirect to https://cdn.example/blobs/x?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Expires=300")
    }
}
