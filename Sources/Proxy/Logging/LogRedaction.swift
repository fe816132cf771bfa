/// What may not reach a log line: credentials in URLs and request targets.
///
/// Cistern never logs header fields (so no `Authorization` or `Cookie` value is ever
/// written); what remains are URLs and request targets, which can carry secrets in their
/// query (pre-signed CDN redirects: `X-Amz-Signature=…`, `X-Amz-Credential=…`, `sig=…`;
/// clients that put `access_token=…` in the target) or in their userinfo (`user:pass@`).
/// These functions rewrite such parts to `REDACTED` before a line is formed; text without
/// a `?` or `@` is returned unchanged without allocating.
package enum LogRedaction {
    /// The marker that replaces a secret.
    static let marker = "REDACTED"

    /// `target` (a request target or URL) with the value of every query parameter whose name
    /// looks like a credential replaced by ``marker``, and any userinfo removed.
    /// Parameters Cistern's own routing reads (`ns`, `n`, `last`, `artifactType`) stay.
    package static func target(_ target: String) -> String {
        guard target.utf8.contains(UInt8(ascii: "?")) || target.utf8.contains(UInt8(ascii: "@")) else { return target }
        let withoutUserinfo = removingUserinfo(target)
        guard let question = withoutUserinfo.firstIndex(of: "?") else { return withoutUserinfo }
        let fragmentStart = withoutUserinfo[question...].firstIndex(of: "#") ?? withoutUserinfo.endIndex
        let query = withoutUserinfo[withoutUserinfo.index(after: question)..<fragmentStart]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            let name = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard parameter.contains("="), isSecretName(name) else { return String(parameter) }
            return "\(name)=\(marker)"
        }
        return String(withoutUserinfo[...question]) + parameters.joined(separator: "&")
    }

    /// Whether a query parameter named `name` carries a credential: anything naming a token,
    /// password, secret, key, signature, credential, session or authorization (any case).
    static func isSecretName(_ name: Substring) -> Bool {
        let lowered = name.lowercased()
        if routingParameterNames.contains(lowered) { return false }
        return secretNameParts.contains { lowered.contains($0) }
    }

    /// Query parameters of the registry API (containerd's `ns`, paging, referrers' filter).
    private static let routingParameterNames: Set<String> = ["ns", "n", "last", "artifacttype", "digest", "mount", "from"]
    /// Substrings of parameter names that carry credentials (`access_token`, `X-Amz-Signature`,
    /// `X-Amz-Credential`, `password`, `pwd`, `client_secret`, `api_key`, `sig`, `session_id`,
    /// `code`, `jwt`).
    private static let secretNameParts = ["token", "pass", "pwd", "secret", "key", "sig", "credential", "session", "auth", "code", "jwt"]

    /// `scheme://user:pass@host/…` → `scheme://host/…`; other text unchanged.
    private static func removingUserinfo(_ text: String) -> String {
        guard let schemeEnd = text.firstRange(of: "://") else { return text }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = text[authorityStart...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? text.endIndex
        guard let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<authorityStart]) + String(text[text.index(after: at)...])
    }
}
