import Logging
import Synchronization

/// The least severe level logged, shared by every `StderrLogHandler` made with it, so a
/// configuration reload (SIGHUP) changes what every logger of the process prints.
///
/// Any thread: one atomic byte, read by swift-log before each log call.
public final class LiveLogLevel: Sendable {
    private let rawLevel: Atomic<UInt8>

    /// A level starting at `level`.
    public init(_ level: Logger.Level) {
        rawLevel = Atomic(Self.raw(level))
    }

    /// The level in force now.
    public var level: Logger.Level {
        let raw = Int(rawLevel.load(ordering: .relaxed))
        return raw < Logger.Level.allCases.count ? Logger.Level.allCases[raw] : .info
    }

    /// Changes the level for every handler sharing this object.
    public func set(_ level: Logger.Level) {
        rawLevel.store(Self.raw(level), ordering: .relaxed)
    }

    private static func raw(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}
