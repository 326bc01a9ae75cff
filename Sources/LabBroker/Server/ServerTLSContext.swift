import NIOSSL

/// Builds a TLS or WSS listener's `NIOSSLContext` from its PEM files: once per listener, before any
/// channel exists (reading files and parsing keys must not happen on the event loop).
enum ServerTLSContext {
    static func make(identity: TLSServerIdentity, clientCertificates: ClientCertificatePolicy) throws(LabBrokerServerError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(identity.certificateChainPath)
        } catch {
            throw .tlsConfiguration("cannot read the certificate chain \(identity.certificateChainPath): \(error)")
        }
        guard !chain.isEmpty else {
            throw .tlsConfiguration("no certificate in \(identity.certificateChainPath)")
        }
        do {
            key = try NIOSSLPrivateKey(file: identity.privateKeyPath, format: .pem)
        } catch {
            throw .tlsConfiguration("cannot read the private key \(identity.privateKeyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        switch clientCertificates {
        case .none:
            configuration.certificateVerification = .none
        case .optional(let roots):
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(try trustRoots(roots))
        case .required(let roots):
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try trustRoots(roots))
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tlsConfiguration("cannot build the TLS context for \(identity.certificateChainPath): \(error)")
        }
    }

    private static func trustRoots(_ path: String) throws(LabBrokerServerError) -> [NIOSSLCertificate] {
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .tlsConfiguration("cannot read the client trust roots \(path): \(error)")
        }
        guard !roots.isEmpty else { throw .tlsConfiguration("no certificate in the client trust roots \(path)") }
        return roots
    }
}
