extension LabBrokerServer {
    /// Runs `body` against a lab broker that listens for exactly as long as `body` runs and is shut down on
    /// every path out of it: the in-process broker of tests, and of any caller that needs one for a while.
    public static func withServer<Result>(
        profile: BrokerProfile = BrokerProfile(),
        listeners: [ListenerConfiguration] = [.tcp()],
        isolation: isolated (any Actor)? = #isolation,
        _ body: (LabBrokerServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(profile: profile, listeners: listeners)
        let result: Result
        do {
            result = try await body(server)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
        return result
    }
}
