#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A swift-log `LogHandler` that writes one line per event to standard error:
///
/// `2024-05-01T12:34:56.789Z info cistern.server: message key=value other="with space"`
///
/// (ISO 8601 / RFC 3339 UTC time with milliseconds, level, label, message, then metadata
/// sorted by key as logfmt `key=value`). The line is built in a private buffer and handed to
/// the kernel with one `write(2)` (looping only on partial writes and `EINTR`), so event loops
/// never wait on each other's locks and lines from different threads do not interleave
/// (for a pipe, up to `PIPE_BUF` bytes per line). No Foundation on this path.
///
/// Any thread. If stderr is non-blocking and full (`EAGAIN`) or closed, the rest of the line
/// is dropped: logging must never stall a loop.
public struct StderrLogHandler: LogHandler {
    /// The logger's label, printed after the level (`cistern.server`).
    public let label: String
    /// Least severe level this handler is asked to print (swift-log filters before calling):
    /// the shared ``LiveLogLevel``'s when the handler was made with one and no level was set
    /// on it since, else its own.
    public var logLevel: Logger.Level {
        get { liveLevel?.level ?? ownLevel }
        set {
            ownLevel = newValue
            liveLevel = nil
        }
    }
    private var ownLevel: Logger.Level
    private var liveLevel: LiveLogLevel?
    /// Metadata attached to every line from this handler.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata (for example task-locals) merged into every line.
    public var metadataProvider: Logger.MetadataProvider?
    /// Where lines go: 2 (stderr), or a pipe in tests.
    let fileDescriptor: Int32

    /// A handler writing to fd 2, for `LoggingSystem.bootstrap`.
    public init(label: String, logLevel: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, logLevel: logLevel, metadataProvider: metadataProvider, fileDescriptor: 2)
    }

    /// A handler writing to fd 2 at the level `liveLevel` holds at each log call (a
    /// configuration reload changes it), for `LoggingSystem.bootstrap`.
    public init(label: String, liveLevel: LiveLogLevel, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, logLevel: liveLevel.level, metadataProvider: metadataProvider, fileDescriptor: 2)
        self.liveLevel = liveLevel
    }

    /// A handler writing to `fileDescriptor`; for tests.
    init(label: String, logLevel: Logger.Level, metadataProvider: Logger.MetadataProvider?, fileDescriptor: Int32) {
        self.label = label
        self.ownLevel = logLevel
        self.metadataProvider = metadataProvider
        self.fileDescriptor = fileDescriptor
    }

    /// One handler-level metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats `event` and writes it as one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata, !eventMetadata.isEmpty {
            merged.merge(eventMetadata) { _, new in new }
        }
        if let error = event.error {
            merged["error"] = .string("\(error)")
        }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        Self.formatLine(
            into: &line, time: Self.realtimeNow(), level: event.level, label: label,
            message: event.message.description, metadata: merged)
        if fileDescriptor == 2 {
            // Through the writer thread: a loop never blocks on a stalled stderr.
            LogWriter.standardError.enqueue(line)
        } else {
            Self.writeAll(line, to: fileDescriptor)
        }
    }

    /// Appends one complete log line, ending in `\n`, to `line`.
    ///
    /// - Parameter time: wall-clock time since the Unix epoch, as `clock_gettime(CLOCK_REALTIME)` reports it.
    static func formatLine(
        into line: inout [UInt8], time: timespec, level: Logger.Level, label: String,
        message: String, metadata: Logger.Metadata
    ) {
        appendTimestamp(time, to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: level.rawValue.utf8)
        line.append(UInt8(ascii: " "))
        LogLineText.appendEscaped(label, quotingIfNeeded: false, to: &line)
        line.append(UInt8(ascii: ":"))
        line.append(UInt8(ascii: " "))
        LogLineText.appendEscaped(message, quotingIfNeeded: false, to: &line)
        if !metadata.isEmpty {
            for key in metadata.keys.sorted() {
                line.append(UInt8(ascii: " "))
                LogLineText.appendEscaped(key, quotingIfNeeded: true, to: &line)
                line.append(UInt8(ascii: "="))
                LogLineText.appendEscaped(render(metadata[key]!), quotingIfNeeded: true, to: &line)
            }
        }
        line.append(UInt8(ascii: "\n"))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339 §5.6, UTC), formatted by hand from `gmtime_r`.
    static func appendTimestamp(_ time: timespec, to line: inout [UInt8]) {
        var seconds = time.tv_sec
        var parts = tm()
        _ = gmtime_r(&seconds, &parts)
        LogLineText.appendZeroPadded(Int(parts.tm_year) + 1900, width: 4, to: &line)
        line.append(UInt8(ascii: "-"))
        LogLineText.appendZeroPadded(Int(parts.tm_mon) + 1, width: 2, to: &line)
        line.append(UInt8(ascii: "-"))
        LogLineText.appendZeroPadded(Int(parts.tm_mday), width: 2, to: &line)
        line.append(UInt8(ascii: "T"))
        LogLineText.appendZeroPadded(Int(parts.tm_hour), width: 2, to: &line)
        line.append(UInt8(ascii: ":"))
        LogLineText.appendZeroPadded(Int(parts.tm_min), width: 2, to: &line)
        line.append(UInt8(ascii: ":"))
        LogLineText.appendZeroPadded(Int(parts.tm_sec), width: 2, to: &line)
        line.append(UInt8(ascii: "."))
        LogLineText.appendZeroPadded(Int(time.tv_nsec) / 1_000_000, width: 3, to: &line)
        line.append(UInt8(ascii: "Z"))
    }

    /// Writes all of `bytes` to `fileDescriptor`, retrying partial writes and `EINTR`;
    /// gives up silently on any other error (including `EAGAIN`).
    static func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    private static func realtimeNow() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    private static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return string
        case .stringConvertible(let convertible): return convertible.description
        case .array, .dictionary: return value.description
        }
    }
}
