import Foundation

/// One entry of a token's `access` claim and of a token request's `scope` (Docker token
/// authentication specification, "Requesting a Token" and "Token Response Fields"):
/// `repository:samalba/my-app:pull,push` ↔ `{"type":"repository","name":"samalba/my-app","actions":["pull","push"]}`.
package struct TokenAccess: Codable, Hashable, Sendable {
    /// The resource type; Cistern grants only `repository`.
    package var type: String
    /// The repository name.
    package var name: String
    /// The actions granted or asked for (`pull`, `push`, `delete`, `*`).
    package var actions: [String]

    /// An entry for `name` with `actions`.
    package init(type: String = "repository", name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }

    /// Parses one scope: `type:name:actions`, the name itself possibly holding `:` (a
    /// registry host with a port), so type is before the first `:` and actions after the
    /// last. Nil for fewer than three parts or an empty name.
    package init?(scope text: some StringProtocol) {
        guard let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"), first < last else { return nil }
        let name = text[text.index(after: first)..<last]
        guard !name.isEmpty else { return nil }
        type = String(text[..<first])
        self.name = String(name)
        actions = text[text.index(after: last)...].split(separator: Character(",")).map { String($0) }
    }

    /// The scopes of a token request's query: every `scope` parameter (a client may repeat
    /// it, or put several space-separated in one), percent-decoded (`+` is a space).
    package static func scopes(inQuery query: some StringProtocol) -> [TokenAccess] {
        parameters(query, named: "scope").flatMap { $0.split(separator: " ") }.compactMap { TokenAccess(scope: $0) }
    }

    /// The values of the query parameters called `name`, percent-decoded.
    package static func parameters(_ query: some StringProtocol, named name: String) -> [String] {
        query.split(separator: "&").compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { return nil }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
    }
}
