import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The fixtures' own HTTP client for talking to the upstream registry on 127.0.0.1 (readiness
/// probes, seeding): an ephemeral `URLSession` with caching off, so every call hits the wire.
enum LoopbackHTTP {
    /// Errors besides the transport's own.
    enum Failure: Error, CustomStringConvertible {
        /// The response was not HTTP.
        case notHTTP(URL)
        /// The registry answered with an unexpected status.
        case unexpectedStatus(method: String, url: URL, status: Int, body: String)

        var description: String {
            switch self {
            case .notHTTP(let url): "no HTTP response from \(url)"
            case .unexpectedStatus(let method, let url, let status, let body):
                "\(method) \(url) answered \(status): \(body)"
            }
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.httpMaximumConnectionsPerHost = 4
        return URLSession(configuration: configuration)
    }()

    /// Sends `request` (with `body`, if any) and returns the response body and head.
    /// - Throws: the transport error, or `Failure.notHTTP`.
    static func send(_ request: URLRequest, body: Data? = nil) async throws -> (Data, HTTPURLResponse) {
        let (data, response) = if let body {
            try await session.upload(for: request, from: body)
        } else {
            try await session.data(for: request)
        }
        guard let http = response as? HTTPURLResponse else { throw Failure.notHTTP(request.url!) }
        return (data, http)
    }

    /// Sends `request` and requires one of `expectedStatuses`.
    /// - Throws: `Failure.unexpectedStatus` with the body, or the transport error.
    static func send(
        _ request: URLRequest, body: Data? = nil, expecting expectedStatuses: Set<Int>
    ) async throws -> (Data, HTTPURLResponse) {
        let (data, response) = try await send(request, body: body)
        guard expectedStatuses.contains(response.statusCode) else {
            throw Failure.unexpectedStatus(
                method: request.httpMethod ?? "GET", url: request.url!, status: response.statusCode,
                body: String(decoding: data.prefix(2000), as: UTF8.self))
        }
        return (data, response)
    }
}
