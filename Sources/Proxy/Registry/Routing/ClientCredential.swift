import Foundation

/// A client's own user name and password, as HTTP Basic carries them (RFC 7617).
///
/// Cistern meets one in two places: on its token endpoint (checked against `auth.htpasswd`,
/// or kept sealed inside the token for a `credentials: client` remote), and in an
/// `Authorization: Basic` sent straight to a registry endpoint by curl or a script.
/// The description never shows the password, so a credential can't reach a log by
/// interpolation.
public struct ClientCredential: Hashable, Sendable, CustomStringConvertible {
    /// The user name: everything before the first `:` of the decoded pair.
    public let username: String
    /// The password: everything after the first `:` (it may itself contain `:`).
    public let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Parses an `Authorization` field value of the Basic scheme (RFC 7617 section 2):
    /// the scheme name matched case-insensitively, then base64 of `user:password` in UTF-8.
    /// Returns nil for another scheme, bad base64, a pair without `:`, or an empty user name.
    public init?(basicAuthorization value: some StringProtocol) {
        let trimmed = value.drop(while: { $0 == " " })
        guard trimmed.count > 6, trimmed.prefix(6).lowercased() == "basic " else { return nil }
        let encoded = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let pair = String(data: data, encoding: .utf8),
              let colon = pair.firstIndex(of: ":") else { return nil }
        let username = String(pair[..<colon])
        guard !username.isEmpty else { return nil }
        self.init(username: username, password: String(pair[pair.index(after: colon)...]))
    }

    /// The `Authorization` field value that presents this credential: `Basic <base64>`.
    public var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// `user:***`: the password never appears.
    public var description: String { "\(username):***" }
}
