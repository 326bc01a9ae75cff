/// Listener configuration for brokers that authenticate devices by certificate, pointing at the
/// files `fleet certs server` wrote.
public enum BrokerListenerSnippet {
    /// mosquitto: the device certificate's CN becomes the username (`use_identity_as_username`).
    public static func mosquitto(_ files: ServerIdentityFiles, bindAddress: String = "127.0.0.1", port: Int = 8883) -> String {
        """
        listener \(port) \(bindAddress)
        cafile \(files.trustedRoot)
        certfile \(files.chain)
        keyfile \(files.key)
        require_certificate true
        use_identity_as_username true
        """
    }

    /// NanoMQ (HOCON `nanomq.conf`): client certificates required and verified against the root.
    public static func nanoMQ(_ files: ServerIdentityFiles, bindAddress: String = "127.0.0.1", port: Int = 8883) -> String {
        """
        listeners.ssl {
            bind = "\(bindAddress):\(port)"
            keyfile = "\(files.key)"
            certfile = "\(files.chain)"
            cacertfile = "\(files.trustedRoot)"
            verify_peer = true
            fail_if_no_peer_cert = true
        }
        """
    }
}
