#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

extension IOError {
    /// `connection refused (errno 111)`: the system's words for the errno, in the one form every report uses.
    /// NIO's own description puts its call-site context first ("connection reset (error set): …") and leaves
    /// an unbalanced parenthesis.
    public var plainDescription: String {
        let text = String(cString: strerror(errnoCode))
        return text.prefix(1).lowercased() + text.dropFirst() + " (errno \(errnoCode))"
    }
}
