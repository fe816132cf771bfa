import Foundation

extension FakeUpstream {
    /// Whether an Accept-Encoding field value allows gzip (RFC 9110 section 12.5.3): `gzip`,
    /// `x-gzip` or `*` listed with a non-zero weight. A missing field allows nothing here (the
    /// fake only compresses for clients that ask).
    static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var wildcardWeight: Double?
        for member in acceptEncoding.split(separator: ",") {
            let parameters = member.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parameters.first, !coding.isEmpty else { continue }
            var weight = 1.0
            for parameter in parameters.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" { return weight > 0 }
            if coding == "*" { wildcardWeight = weight }
        }
        return (wildcardWeight ?? 0) > 0
    }

    /// Compresses a 200 response's body when the request allows gzip: sets Content-Encoding
    /// and Vary. Runs `/usr/bin/gzip` once per distinct body (cached by digest); on any
    /// failure returns the response unchanged.
    func gzipIfAccepted(_ response: FakeUpstreamResponse, request: RecordedRequest) -> FakeUpstreamResponse {
        guard response.statusCode == 200, !response.body.isEmpty, Self.acceptsGzip(request.header("Accept-Encoding")) else {
            return response
        }
        let key = TestSHA256.digest(response.body)
        var compressed = state.withLock { $0.gzipByInputDigest[key] }
        if compressed == nil {
            compressed = Self.runGzip(response.body)
            if let compressed { state.withLock { $0.gzipByInputDigest[key] = compressed } }
        }
        guard let compressed else { return response }
        var result = response
        result.body = compressed
        result.setHeader("Content-Encoding", "gzip")
        result.setHeader("Vary", "Accept-Encoding")
        return result
    }

    /// `gzip -c -n` of `bytes` (no name or time stamp, so the output is deterministic), or nil.
    static func runGzip(_ bytes: [UInt8]) -> [UInt8]? {
        // Input through a temporary file: writing a pipe while gzip fills the other would
        // deadlock once both pipe buffers are full.
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("fake-upstream-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: input) }
        do {
            try Data(bytes).write(to: input)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
            process.arguments = ["-c", "-n", input.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return process.terminationStatus == 0 ? Array(data) : nil
        } catch {
            return nil
        }
    }
}
