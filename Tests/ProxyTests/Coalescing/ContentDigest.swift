@testable import Proxy
@testable import ProxyRegistry

/// `sha256:<hex>` of test bytes, computed with OpenSSL (fast in debug builds, unlike
/// `TestSHA256`), so tests compare multi-MiB bodies by digest and a failure prints 71
/// characters instead of megabytes.
enum ContentDigest {
    /// The OCI digest string of `bytes` (OCI image-spec descriptor.md, "Digests").
    static func of(_ bytes: some Collection<UInt8>) -> String {
        ContentHasher.digestString(of: Array(bytes))
    }
}
