import CEpoll
import Glibc

/// A failed system call: the operation's name and the `errno` it reported.
///
/// The C shim returns `-errno` from every call; this is the one place where
/// those codes become Swift errors (`SystemError.check`).
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value (positive), e.g. `EAGAIN`.
    public let code: Int32
    /// The operation that failed, e.g. `"accept"`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }

    /// Whether the call would have blocked on a non-blocking descriptor.
    public var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// Returns `result` when it is a success (`>= 0`), or throws the error
    /// whose negated errno it carries.
    @inline(__always)
    public static func check<T: FixedWidthInteger & SignedInteger>(_ result: T, _ operation: @autoclosure () -> String) throws(SystemError) -> T {
        if result >= 0 { return result }
        throw SystemError(code: Int32(truncatingIfNeeded: -result), operation: operation())
    }
}
