import Testing
@testable import Proxy
@testable import ProxyConfig

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("0.0.0.0:5000", "0.0.0.0", UInt16(5000)),
        ("127.0.0.1:0", "127.0.0.1", 0),
        ("localhost:8080", "localhost", 8080),
        ("[::]:5000", "::", 5000),
        ("[::1]:443", "::1", 443),
        (":5001", "0.0.0.0", 5001),
        ("5002", "0.0.0.0", 5002),
    ])
    func parsesHostAndPort(text: String, host: String, port: UInt16) {
        #expect(ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test(arguments: ["", "localhost", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "::1:5000", "[::1]5000", "[]:80", "a b:80"])
    func rejectsMalformedAddresses(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }

    @Test func descriptionBracketsIPv6Literals() {
        #expect(ListenAddress(host: "::", port: 5000).description == "[::]:5000")
        #expect(ListenAddress(host: "0.0.0.0", port: 5000).description == "0.0.0.0:5000")
    }
}
