import NIOConcurrencyHelpers

/// Builds each distinct `TLSSettings` into an `MQTTTLSContext` once and hands out the same context
/// afterwards, so that thousands of connections sharing a CA (or reconnecting with the same
/// identity) do not re-read PEM files or re-parse keys. Call `context(for:)` off the event loop.
public final class MQTTTLSContextCache: Sendable {
    private let contexts = NIOLockedValueBox<[TLSSettings: MQTTTLSContext]>([:])

    public init() {}

    /// The context for `settings`, built on first use.
    public func context(for settings: TLSSettings) throws(MQTTClientError) -> MQTTTLSContext {
        if let cached = contexts.withLockedValue({ $0[settings] }) {
            return cached
        }
        let built = try settings.makeContext()
        return contexts.withLockedValue { contexts in
            if let raced = contexts[settings] { return raced }
            contexts[settings] = built
            return built
        }
    }

    /// Number of distinct contexts built so far.
    public var count: Int { contexts.withLockedValue { $0.count } }
}
