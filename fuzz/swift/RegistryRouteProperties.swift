/// Properties of ``RegistryRoute/parse(target:)``:
/// - the byte form, an offset slice and (for UTF-8 input) the text form give the same verdict
///   (on audited inputs, see ``FuzzInput/isAudited``);
/// - a route is exactly its path: rendering the route back gives the bytes before `?`, so no
///   byte was decoded, dropped or reinterpreted on the way to a name, tag or digest;
/// - every name re-validates, has no `..`, no empty, `.`-led or `..` component, and stays
///   path-safe after Docker Hub normalisation; every tag and digest re-validates;
/// - a failure is one of the documented errors.
enum RegistryRouteProperties {
    static func check(_ input: FuzzInput) {
        let target = input.bytes
        let bytes = outcome { () throws(RegistryError) in try RegistryRoute.parse(target: target) }
        if input.isAudited {
            let slice = outcome { () throws(RegistryError) in try RegistryRoute.parse(target: input.shifted) }
            requireSame(bytes, slice, "offset slice")
            if let text = input.text {
                requireSame(bytes, outcome { () throws(RegistryError) in try RegistryRoute.parse(target: text) }, "text form")
            }
        }
        let questionMark = target.firstIndex(of: UInt8(ascii: "?"))
        let path = Array(target[..<(questionMark ?? target.endIndex)])
        switch bytes {
        case .success(let parsed):
            checkRoute(parsed.route, path: path)
            if let questionMark {
                let query = outcome { () throws(RegistryError) in try RequestQuery(raw: target[(questionMark + 1)...]) }
                require(query == .success(parsed.query), "the route's query is the query parsed alone")
            } else {
                require(parsed.query == .empty, "no `?` means the empty query")
            }
        case .failure(let error):
            let documented: [(RegistryError.Code, Int)] = [
                (.notFound, 404), (.nameInvalid, 400), (.manifestUnknown, 404), (.digestInvalid, 400), (.unsupported, 400),
            ]
            require(documented.contains { $0.0 == error.code && $0.1 == error.status }, "undocumented route error \(error)")
        }
    }

    private static func requireSame(
        _ a: Result<(route: RegistryRoute, query: RequestQuery), RegistryError>,
        _ b: Result<(route: RegistryRoute, query: RequestQuery), RegistryError>,
        _ form: String
    ) {
        switch (a, b) {
        case (.success(let x), .success(let y)):
            require(x.route == y.route && x.query == y.query, "\(form) parses to the same route")
        case (.failure(let x), .failure(let y)):
            require(x == y, "\(form) fails the same way")
        default:
            require(false, "\(form) gives the same verdict")
        }
    }

    private static func checkRoute(_ route: RegistryRoute, path: [UInt8]) {
        func rendered(_ text: String) -> Bool { path.elementsEqual(text.utf8) }
        switch route {
        case .base:
            require(rendered("/v2") || rendered("/v2/"), "base is /v2 or /v2/")
        case .health:
            require(rendered("/healthz"), "health is /healthz")
        case .readiness:
            require(rendered("/readyz") || rendered("/readyz/"), "readiness is /readyz")
        case .metrics:
            require(rendered("/metrics"), "metrics is /metrics")
        case .token:
            require(rendered("/token"), "token is /token")
        case .manifest(let name, let reference):
            checkName(name)
            switch reference {
            case .tag(let tag): checkTag(tag)
            case .digest(let digest): DigestProperties.checkValid(digest)
            }
            require(rendered("/v2/\(name)/manifests/\(reference)"), "manifest route renders to its path")
        case .blob(let name, let digest):
            checkName(name)
            DigestProperties.checkValid(digest)
            require(rendered("/v2/\(name)/blobs/\(digest)"), "blob route renders to its path")
        case .tagsList(let name):
            checkName(name)
            require(rendered("/v2/\(name)/tags/list"), "tags route renders to its path")
        case .referrers(let name, let digest):
            checkName(name)
            DigestProperties.checkValid(digest)
            require(rendered("/v2/\(name)/referrers/\(digest)"), "referrers route renders to its path")
        case .blobUpload(let name, let session):
            checkName(name)
            let prefix = Array("/v2/\(name)/blobs/uploads".utf8)
            require(path.starts(with: prefix) && (path.count == prefix.count || path[prefix.count] == UInt8(ascii: "/")),
                    "upload route is its name followed by /blobs/uploads")
            // The session is exactly what follows `/blobs/uploads/`, nil when nothing does.
            let after = path.count > prefix.count + 1 ? String(decoding: path[(prefix.count + 1)...], as: UTF8.self) : nil
            require(session == after, "the upload session is the rest of the path")
            let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
            require(!path.contains(UInt8(ascii: "%")) && !path.contains(UInt8(ascii: "\\")), "no escapes in an upload path")
            // RFC 3986 dot-segments are exactly "." and ".."; "..." is an ordinary segment.
            require(segments.dropLast().allSatisfy { !$0.isEmpty && !$0.elementsEqual(".".utf8) && !$0.elementsEqual("..".utf8) },
                    "no empty or dot segment in an upload path")
        }
    }

    static func checkName(_ name: RepositoryName) {
        let text = name.string
        require((try? RepositoryName(parsing: text)) == name, "name re-validates")
        require((1...RepositoryName.maximumByteCount).contains(text.utf8.count), "name length within bounds")
        require(!text.contains(".."), "no .. in a name")
        require(name.components.allSatisfy { component in
            guard let first = component.utf8.first, let last = component.utf8.last else { return false }
            return isLowerAlphanumeric(first) && isLowerAlphanumeric(last)
        }, "every component starts and ends with [a-z0-9]")
        require(text.utf8.allSatisfy { isLowerAlphanumeric($0) || "._-/".utf8.contains($0) }, "name bytes are [a-z0-9._/-]")
        let hub = name.normalized(dockerHub: true)
        require(RepositoryName.matchesGrammar(hub.string.utf8) && !hub.string.contains(".."), "normalised name stays valid")
        require(hub.string == text || hub.string == "library/" + text, "normalisation only adds library/")
    }

    static func checkTag(_ tag: Tag) {
        require((try? Tag(parsing: tag.string)) == tag, "tag re-validates")
        let bytes = Array(tag.string.utf8)
        require((1...Tag.maximumByteCount).contains(bytes.count), "tag length within bounds")
        require(bytes[0] != UInt8(ascii: ".") && bytes[0] != UInt8(ascii: "-"), "tag never starts with . or -")
        require(!bytes.contains(UInt8(ascii: "/")) && !bytes.contains(UInt8(ascii: "%")), "tag is one path component")
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
