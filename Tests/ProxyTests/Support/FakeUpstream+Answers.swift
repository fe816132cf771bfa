import Foundation

extension FakeUpstream {
    /// The normal answer to a request on `route` from `content` (distribution spec, pull
    /// endpoints), before faults other than `wrongBytes`. Pure.
    static func answer(
        route: Route, request: RecordedRequest, content: FakeUpstreamContent, wrongBytes: [UInt8]??
    ) -> FakeUpstreamResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return errorResponse(405, code: "UNSUPPORTED", message: "the fake upstream only serves pulls")
        }
        switch route {
        case .base:
            return FakeUpstreamResponse(statusCode: 200, headers: apiHeaders(contentType: "application/json"), body: Array("{}".utf8))
        case .blob(_, let digest):
            guard let stored = content.blob(digest: digest) else {
                return errorResponse(404, code: "BLOB_UNKNOWN", message: "blob unknown to registry")
            }
            let bytes = substitute(stored, wrongBytes: wrongBytes)
            var headers = apiHeaders(contentType: "application/octet-stream")
            headers += [
                TestHeaderField("Docker-Content-Digest", digest), TestHeaderField("ETag", "\"\(digest)\""),
                TestHeaderField("Accept-Ranges", "bytes"),
            ]
            return rangeResponse(bytes: bytes, headers: headers, rangeField: request.header("Range"))
        case .manifest(let repository, let reference):
            guard let manifest = content.manifest(repository: repository, reference: reference) else {
                return errorResponse(404, code: "MANIFEST_UNKNOWN", message: "manifest unknown")
            }
            var headers = apiHeaders(contentType: manifest.mediaType)
            headers += [
                TestHeaderField("Docker-Content-Digest", manifest.digest),
                TestHeaderField("ETag", "\"\(manifest.digest)\""),
            ]
            return FakeUpstreamResponse(
                statusCode: 200, headers: headers, body: substitute(manifest.bytes, wrongBytes: wrongBytes))
        case .tagsList(let repository):
            return tagsListResponse(repository: repository, request: request, content: content)
        case .referrers(let repository, let subject):
            return referrersResponse(repository: repository, subject: subject, request: request, content: content)
        case .token, .unknown:
            return FakeUpstreamResponse(statusCode: 404, headers: apiHeaders(contentType: "text/plain"), body: Array("404 page not found\n".utf8))
        }
    }

    /// `{"errors":[{"code":…,"message":…,"detail":null}]}` (distribution spec "Error Codes").
    /// `message` must not need JSON escaping.
    static func errorBody(code: String, message: String) -> [UInt8] {
        Array(#"{"errors":[{"code":"\#(code)","message":"\#(message)","detail":null}]}"#.utf8)
    }

    /// An error response with the distribution spec's JSON error body.
    static func errorResponse(_ statusCode: Int, code: String, message: String) -> FakeUpstreamResponse {
        FakeUpstreamResponse(
            statusCode: statusCode, headers: apiHeaders(contentType: "application/json"),
            body: errorBody(code: code, message: message))
    }

    /// Content-Type plus the API version field every registry answer carries.
    static func apiHeaders(contentType: String) -> [TestHeaderField] {
        [
            TestHeaderField("Content-Type", contentType),
            TestHeaderField("Docker-Distribution-API-Version", "registry/2.0"),
        ]
    }

    /// The name/value pairs of a query string, percent-decoded, `+` read as a space
    /// (application/x-www-form-urlencoded, as token clients send scopes).
    static func queryItems(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    private static func substitute(_ bytes: [UInt8], wrongBytes: [UInt8]??) -> [UInt8] {
        switch wrongBytes {
        case .none: bytes
        case .some(.none): bytes.map { $0 ^ 0x5A }
        case .some(.some(let replacement)): replacement
        }
    }

    /// 200 with all bytes, 206 with one range, or 416 (RFC 9110 sections 14.1.2, 14.4, 15.5.17).
    /// Several ranges or an unreadable Range field get the whole body (RFC 9110 section 14.2
    /// lets a server ignore Range).
    private static func rangeResponse(bytes: [UInt8], headers: [TestHeaderField], rangeField: String?) -> FakeUpstreamResponse {
        var response = FakeUpstreamResponse(statusCode: 200, headers: headers, body: bytes)
        guard let rangeField, rangeField.hasPrefix("bytes="), !rangeField.contains(",") else { return response }
        let spec = rangeField.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return response }
        let size = bytes.count
        var first: Int
        var last: Int
        if parts[0].isEmpty {
            guard let suffixLength = Int(parts[1]) else { return response }
            guard suffixLength > 0, size > 0 else { return unsatisfiable(size: size, headers: headers) }
            first = max(0, size - suffixLength)
            last = size - 1
        } else {
            guard let start = Int(parts[0]) else { return response }
            first = start
            if parts[1].isEmpty {
                last = size - 1
            } else {
                guard let end = Int(parts[1]), end >= start else { return response }
                last = min(end, size - 1)
            }
            guard first < size else { return unsatisfiable(size: size, headers: headers) }
        }
        response.statusCode = 206
        response.body = Array(bytes[first...last])
        response.headers.append(TestHeaderField("Content-Range", "bytes \(first)-\(last)/\(size)"))
        return response
    }

    private static func unsatisfiable(size: Int, headers: [TestHeaderField]) -> FakeUpstreamResponse {
        var response = errorResponse(416, code: "RANGE_INVALID", message: "range not satisfiable")
        response.headers.append(TestHeaderField("Content-Range", "bytes */\(size)"))
        return response
    }

    private struct TagList: Encodable {
        let name: String
        let tags: [String]
    }

    /// Tags in lexical order after `last`, at most `n`, with a Link field when more remain
    /// (distribution spec end-8b and its "Link" header).
    private static func tagsListResponse(repository: String, request: RecordedRequest, content: FakeUpstreamContent) -> FakeUpstreamResponse {
        guard var tags = content.tags(repository: repository) else {
            return errorResponse(404, code: "NAME_UNKNOWN", message: "repository name not known to registry")
        }
        let query = queryItems(request.query)
        var after = query.last(where: { $0.name == "last" })?.value
        if case .opaqueCursor = content.tagListPaging {
            after = query.last(where: { $0.name == "next_page" }).flatMap { tagAfter(cursor: $0.value) }
        }
        if let after {
            tags = tags.filter { $0 > after }
        }
        var headers = apiHeaders(contentType: "application/json")
        if let limitText = query.last(where: { $0.name == "n" })?.value, let limit = Int(limitText), limit >= 0 {
            if tags.count > limit {
                tags = Array(tags.prefix(limit))
                if let lastReturned = tags.last {
                    let target = switch content.tagListPaging {
                    case .lastTag: "/v2/\(repository)/tags/list?last=\(lastReturned)&n=\(limit)"
                    case .opaqueCursor(let base): "\(base)/v2/\(repository)/tags/list?n=\(limit)&next_page=\(cursor(after: lastReturned))"
                    }
                    headers.append(TestHeaderField("Link", "<\(target)>; rel=\"next\""))
                }
            }
        }
        return FakeUpstreamResponse(statusCode: 200, headers: headers, body: encodeJSON(TagList(name: repository, tags: tags)))
    }

    /// An opaque `next_page` cursor for the page after `tag`: `pg1.` plus the tag's UTF-8
    /// bytes in hex, reversed, so a client cannot read or build one.
    private static func cursor(after tag: String) -> String {
        "pg1." + String(tag.utf8.map { String(format: "%02x", $0) }.joined().reversed())
    }

    /// The tag a `cursor(after:)` cursor encodes, or nil for anything else.
    private static func tagAfter(cursor: String) -> String? {
        guard cursor.hasPrefix("pg1.") else { return nil }
        let hex = Array(String(cursor.dropFirst(4).reversed()).utf8)
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: hex.count, by: 2) {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private struct ImageIndex: Encodable {
        let schemaVersion = 2
        let mediaType = "application/vnd.oci.image.index.v1+json"
        let manifests: [FakeUpstreamContent.Referrer]
    }

    /// An OCI image index of the referrers of `subject`, filtered by `artifactType` when the
    /// query names one (distribution spec end-12a/12b, "Listing Referrers").
    private static func referrersResponse(
        repository: String, subject: String, request: RecordedRequest, content: FakeUpstreamContent
    ) -> FakeUpstreamResponse {
        var referrers = content.referrers(repository: repository, subject: subject)
        var headers = apiHeaders(contentType: "application/vnd.oci.image.index.v1+json")
        if let artifactType = queryItems(request.query).last(where: { $0.name == "artifactType" })?.value {
            referrers = referrers.filter { $0.artifactType == artifactType }
            headers.append(TestHeaderField("OCI-Filters-Applied", "artifactType"))
        }
        return FakeUpstreamResponse(statusCode: 200, headers: headers, body: encodeJSON(ImageIndex(manifests: referrers)))
    }

    /// Compact JSON with sorted keys and unescaped slashes, so bodies are deterministic.
    static func encodeJSON(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }
}
