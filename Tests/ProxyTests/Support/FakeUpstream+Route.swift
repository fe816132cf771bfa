import Foundation

extension FakeUpstream {
    /// The kinds of endpoint the fake serves (distribution spec "Endpoints", plus the token
    /// endpoint of the Docker token authentication spec).
    enum RouteKind: Equatable, Hashable, Sendable {
        /// `/v2/` (end-1, the API version check).
        case base
        /// `/token` (the token server; only answers when token auth is enabled).
        case token
        /// `/v2/<name>/blobs/<digest>` (end-2).
        case blob
        /// `/v2/<name>/manifests/<reference>` (end-3).
        case manifest
        /// `/v2/<name>/tags/list` (end-8a/8b).
        case tagsList
        /// `/v2/<name>/referrers/<digest>` (end-12a/12b).
        case referrers
        /// Anything else (answered 404).
        case unknown
    }

    /// A request path resolved to an endpoint and its parameters.
    enum Route: Equatable, Sendable {
        /// `/v2/` or `/v2`.
        case base
        /// The token endpoint path.
        case token
        /// A blob of `repository`.
        case blob(repository: String, digest: String)
        /// A manifest of `repository` by tag or digest.
        case manifest(repository: String, reference: String)
        /// The tag list of `repository`.
        case tagsList(repository: String)
        /// The referrers of manifest `subject` in `repository`.
        case referrers(repository: String, subject: String)
        /// No endpoint.
        case unknown

        /// Resolves `path` (no query). Repository names may contain `/`, so the parameters
        /// are found by the last occurrence of each endpoint keyword.
        static func resolve(path: String, tokenPath: String) -> Route {
            if path == "/v2/" || path == "/v2" { return .base }
            if path == tokenPath { return .token }
            guard path.hasPrefix("/v2/") else { return .unknown }
            let rest = String(path.dropFirst(4))
            if rest.hasSuffix("/tags/list") {
                let name = String(rest.dropLast("/tags/list".count))
                return name.isEmpty ? .unknown : .tagsList(repository: name)
            }
            for (keyword, make) in keywordRoutes {
                if let range = rest.range(of: keyword, options: .backwards) {
                    let name = String(rest[..<range.lowerBound])
                    let parameter = String(rest[range.upperBound...])
                    guard !name.isEmpty, !parameter.isEmpty, !parameter.contains("/") else { return .unknown }
                    return make(name, parameter)
                }
            }
            return .unknown
        }

        private static let keywordRoutes: [(String, @Sendable (String, String) -> Route)] = [
            ("/blobs/", { .blob(repository: $0, digest: $1) }),
            ("/manifests/", { .manifest(repository: $0, reference: $1) }),
            ("/referrers/", { .referrers(repository: $0, subject: $1) }),
        ]

        /// The endpoint kind.
        var kind: RouteKind {
            switch self {
            case .base: .base
            case .token: .token
            case .blob: .blob
            case .manifest: .manifest
            case .tagsList: .tagsList
            case .referrers: .referrers
            case .unknown: .unknown
            }
        }

        /// The repository name the route addresses, if any.
        var repository: String? {
            switch self {
            case .blob(let name, _), .manifest(let name, _), .tagsList(let name), .referrers(let name, _): name
            case .base, .token, .unknown: nil
            }
        }
    }
}
