import Foundation

/// Unix time for what must name the real date (SAS token expiries), injected like the run clock so tests
/// can put a device's clock anywhere.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int

    public init(unixSeconds: @escaping @Sendable () -> Int) {
        self.read = unixSeconds
    }

    /// The system's clock.
    public static let system = WallClock { Int(Date().timeIntervalSince1970) }

    /// Whole seconds since 1970, as a token's `se`.
    public func unixSeconds() -> Int { read() }
}
