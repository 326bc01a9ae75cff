import NIOSSL

/// How one connection does TLS: which CAs to trust, which identity (certificate chain + key) to
/// present, and how strictly to verify the server. Verification is full (chain and hostname) unless
/// the user names a weaker mode. A value type, so that identical settings can share one
/// `NIOSSLContext` through `MQTTTLSContextCache`.
public struct TLSSettings: Sendable, Hashable {
    /// How the server certificate is checked.
    public enum Verification: Sendable, Hashable {
        /// Chain to a trusted CA and hostname/IP check against `serverName` or the connected address.
        case fullVerification
        /// Chain to a trusted CA, but any hostname. Only when the user asks for it by name.
        case noHostnameVerification
        /// No verification at all. Only when the user asks for it by name.
        case none
    }

    /// PEM files of the CAs to trust; empty means the system's default trust store.
    public var caFiles: [String]
    /// PEM file with the client certificate chain (leaf first, then intermediates), for mutual TLS.
    public var certificateChainFile: String?
    /// PEM file with the client's private key (EC or RSA), for mutual TLS.
    public var privateKeyFile: String?
    /// Name sent in SNI and checked against the server certificate; `nil` uses the host connected to
    /// (an IP address is checked against the certificate's IP SANs and not sent in SNI).
    public var serverName: String?
    public var verification: Verification
    /// Lowest TLS version offered; TLS 1.2 by default (1.3 is negotiated when both sides have it).
    public var minimumVersion: TLSVersion
    public var maximumVersion: TLSVersion?
    /// ALPN protocols to offer, most preferred first (`mqtt`, say): some cloud brokers route port 443 by
    /// them. Empty: no ALPN extension.
    public var applicationProtocols: [String]

    public init(
        caFiles: [String] = [],
        certificateChainFile: String? = nil,
        privateKeyFile: String? = nil,
        serverName: String? = nil,
        verification: Verification = .fullVerification,
        minimumVersion: TLSVersion = .tlsv12,
        maximumVersion: TLSVersion? = nil,
        applicationProtocols: [String] = []
    ) {
        self.caFiles = caFiles
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
        self.verification = verification
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.applicationProtocols = applicationProtocols
    }

    /// Loads the PEM files and builds the context. Reads files, so call it off the event loop, once
    /// per identity (or through `MQTTTLSContextCache`).
    public func makeContext() throws(MQTTClientError) -> MQTTTLSContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = minimumVersion
        configuration.maximumTLSVersion = maximumVersion
        configuration.applicationProtocols = applicationProtocols
        switch verification {
        case .fullVerification: configuration.certificateVerification = .fullVerification
        case .noHostnameVerification: configuration.certificateVerification = .noHostnameVerification
        case .none: configuration.certificateVerification = .none
        }
        do {
            if !caFiles.isEmpty {
                var roots: [NIOSSLCertificate] = []
                for file in caFiles {
                    roots += try load("CA file", file) { try NIOSSLCertificate.fromPEMFile($0) }
                }
                configuration.trustRoots = .certificates(roots)
            }
            switch (certificateChainFile, privateKeyFile) {
            case (nil, nil):
                break
            case (let chainFile?, let keyFile?):
                let chain = try load("certificate chain", chainFile) { try NIOSSLCertificate.fromPEMFile($0) }
                guard !chain.isEmpty else {
                    throw MQTTClientError.tlsConfiguration("certificate chain \(chainFile) holds no certificate")
                }
                configuration.certificateChain = chain.map { .certificate($0) }
                let key = try load("private key", keyFile) { try NIOSSLPrivateKey(file: $0, format: .pem) }
                configuration.privateKey = .privateKey(key)
            case (.some, nil), (nil, .some):
                throw MQTTClientError.tlsConfiguration(
                    "mutual TLS needs both a certificate chain and a private key file")
            }
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: configuration)
            } catch NIOSSLError.failedToLoadPrivateKey where certificateChainFile != nil {
                // Both files loaded on their own: BoringSSL refuses a key only when it is not the certificate's.
                throw MQTTClientError.tlsConfiguration(
                    "the private key in \(privateKeyFile ?? "") does not belong to the certificate in \(certificateChainFile ?? "")")
            }
            return MQTTTLSContext(sslContext: context, serverName: serverName, caFiles: caFiles)
        } catch let error as MQTTClientError {
            throw error
        } catch {
            throw MQTTClientError.tlsConfiguration(TLSErrorText.plain(error))
        }
    }

    private func load<T>(_ what: String, _ file: String, _ body: (String) throws -> T) throws -> T {
        do {
            return try body(file)
        } catch {
            throw MQTTClientError.tlsConfiguration("cannot load \(what) \(file): \(TLSErrorText.plain(error))")
        }
    }
}

/// A ready-to-use TLS context: the `NIOSSLContext` built once from `TLSSettings` (expensive: file
/// reads and key parsing) plus the name to verify. Shared by every connection with that identity.
public struct MQTTTLSContext: Sendable {
    public let sslContext: NIOSSLContext
    public let serverName: String?
    /// The CA files behind `sslContext`, named when verification fails.
    public let caFiles: [String]

    public init(sslContext: NIOSSLContext, serverName: String?, caFiles: [String] = []) {
        self.sslContext = sslContext
        self.serverName = serverName
        self.caFiles = caFiles
    }
}
