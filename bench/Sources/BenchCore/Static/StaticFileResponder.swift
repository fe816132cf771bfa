import CEpoll
import Glibc

/// The ceiling: a plain sendfile(2) server. `GET`/`HEAD` of any path serve the file in
/// `directory` named by the path's last component (so `/v2/x/blobs/sha256:…` serves
/// `<directory>/sha256:…`), with single ranges; `/v2/` answers `{}`. No cache logic, no
/// upstream: the fastest a server on this machine can answer the same requests.
///
/// Confinement: one instance per server worker thread (it keeps its own open files).
public final class StaticFileResponder: BenchResponder {
    private let directory: String
    private var openFiles: [Substring: (fd: Int32, length: Int64)] = [:]

    /// Serves files under `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    deinit {
        for file in openFiles.values { _ = cep_close(file.fd) }
    }

    public func respond(to request: BenchRequest) -> BenchResponse {
        let path = request.path
        if path == "/v2/" || path == "/v2" {
            return BenchResponse(status: 200, fields: [("Content-Type", "application/json")], body: .bytes(Array("{}".utf8)))
        }
        guard let name = path.split(separator: "/").last, !name.hasPrefix("."), let file = open(name) else {
            return .error(status: 404, code: "BLOB_UNKNOWN", message: "no such file")
        }
        var fields = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes")]
        switch ByteRangeRequest.resolve(request.range, length: file.length) {
        case .whole:
            return BenchResponse(status: 200, fields: fields, body: .file(fd: file.fd, 0..<file.length))
        case .partial(let range):
            fields.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(file.length)"))
            return BenchResponse(status: 206, fields: fields, body: .file(fd: file.fd, range))
        case .unsatisfiable:
            return BenchResponse(status: 416, fields: [("Content-Range", "bytes */\(file.length)")], body: .none(contentLength: 0))
        }
    }

    public func sentBody(byteCount: Int64, key: String) {}

    private func open(_ name: Substring) -> (fd: Int32, length: Int64)? {
        if let file = openFiles[name] { return file }
        let fd = cep_open_read(directory + "/" + name)
        guard fd >= 0 else { return nil }
        let file = (fd: fd, length: cep_file_size(fd))
        openFiles[name] = file
        return file
    }
}
