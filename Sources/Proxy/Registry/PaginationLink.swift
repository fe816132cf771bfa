/// The `Link` field of a paginated upstream answer (RFC 8288; distribution-spec "Listing
/// Tags" end-8b and "Listing Referrers" use `<…>; rel="next"`), rewritten to point at Cistern.
///
/// Each target keeps the upstream's whole query (`n`, `last`, and opaque cursors such as
/// `next_page=…` alike) but gets Cistern's path, with the repository name as the client used
/// it; the upstream's scheme, host and path are dropped, so the upstream's address never
/// reaches the client and the client's next request comes back to Cistern, which forwards
/// that query unchanged. Link parameters (`rel`, …) are copied as they are.
///
/// Pure function of its arguments.
package enum PaginationLink {
    /// Rewrites every URI-reference in `value` (the `<…>` of each link-value).
    /// - Parameters:
    ///   - value: the upstream's `Link` field value.
    ///   - path: Cistern's absolute path for the same endpoint, e.g. `/v2/alpine/tags/list`.
    ///   - namespaceParameter: `ns=<percent-encoded name>` when the client sent `ns`, appended
    ///     after the upstream's query so the next page reaches the same upstream.
    /// - Returns: the rewritten value, or nil when a target is unusable: an unterminated `<`,
    ///   or a query ``RequestQuery`` refuses (control bytes, spaces, bad percent-encoding), so
    ///   nothing an upstream sends can smuggle bytes into the client's next request line.
    package static func rewritten(_ value: String, path: String, namespaceParameter: String?) -> String? {
        var output = ""
        output.reserveCapacity(value.utf8.count + path.utf8.count)
        var rest = Substring(value)
        var inQuotedString = false
        while let character = rest.first {
            rest = rest.dropFirst()
            if inQuotedString {
                output.append(character)
                if character == "\\", let escaped = rest.first {
                    output.append(escaped)
                    rest = rest.dropFirst()
                } else if character == "\"" {
                    inQuotedString = false
                }
                continue
            }
            switch character {
            case "\"":
                inQuotedString = true
                output.append(character)
            case "<":
                guard let close = rest.firstIndex(of: ">"),
                      let target = target(for: rest[..<close], path: path, namespaceParameter: namespaceParameter)
                else { return nil }
                output += "<" + target + ">"
                rest = rest[rest.index(after: close)...]
            default:
                output.append(character)
            }
        }
        return output
    }

    /// Cistern's target for one upstream URI-reference (absolute, or relative to anything).
    private static func target(for reference: Substring, path: String, namespaceParameter: String?) -> String? {
        let withoutFragment = reference.prefix { $0 != "#" }
        var query = ""
        if let questionMark = withoutFragment.firstIndex(of: "?") {
            let raw = withoutFragment[withoutFragment.index(after: questionMark)...]
            guard let parsed = try? RequestQuery(raw: Array(raw.utf8)) else { return nil }
            query = parsed.upstreamForm
        }
        if let namespaceParameter {
            query += (query.isEmpty ? "" : "&") + namespaceParameter
        }
        return query.isEmpty ? path : path + "?" + query
    }
}
