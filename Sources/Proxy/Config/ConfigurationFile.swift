#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the small text files configuration refers to: the YAML file itself and
/// password files. Off the hot path; plain blocking POSIX reads so failures carry
/// the `strerror` text (`No such file or directory`) rather than a Foundation paraphrase.
package enum ConfigurationFile {
    /// Why a file could not be read, as `strerror(3)` words it.
    package struct ReadFailure: Error {
        package let reason: String
    }

    /// Largest file accepted; guards against pointing a key at `/dev/zero` or a huge file.
    static let maximumByteCount = 1 << 20

    /// The file's contents decoded as UTF-8 (invalid sequences replaced).
    ///
    /// - Throws: ``ReadFailure`` if the file cannot be opened or read, or exceeds
    ///   ``maximumByteCount`` bytes.
    package static func readText(atPath path: String) throws(ReadFailure) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadFailure(reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadFailure(reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumByteCount {
                throw ReadFailure(reason: "larger than \(maximumByteCount) bytes")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A secret read from a file, without the trailing line break(s) editors and
    /// `echo` add (`\n` or `\r\n`); other whitespace is kept as part of the secret.
    ///
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` under `key` when the
    ///   file cannot be read or holds nothing but line breaks.
    static func readSecret(atPath path: String, key: String) throws -> String {
        let text: String
        do {
            text = try readText(atPath: path)
        } catch {
            throw ConfigurationError.invalidValue(key: key, value: path, reason: "cannot read: \(error.reason)")
        }
        var secret = Substring(text)
        while let last = secret.last, last == "\n" || last == "\r" || last == "\r\n" {
            secret = secret.dropLast()
        }
        guard !secret.isEmpty else {
            throw ConfigurationError.invalidValue(key: key, value: path, reason: "file is empty")
        }
        return String(secret)
    }
}
