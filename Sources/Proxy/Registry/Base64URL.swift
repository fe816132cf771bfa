import Foundation

/// base64url without padding (RFC 4648 section 5), as JWS uses it (RFC 7515 section 2).
package enum Base64URL {
    /// The unpadded base64url text of `bytes`.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The bytes of base64url `text`; nil for characters outside the alphabet, and for padding
    /// unless `allowingPadding` (a token's parts never carry it; a schema 1 manifest's JWS
    /// fields were read leniently before this was shared, and still are).
    package static func decode(_ text: some StringProtocol, allowingPadding: Bool = false) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard allowingPadding || !standard.contains("=") else { return nil }
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
