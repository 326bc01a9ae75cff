/// Where every file of a fleet PKI lives under one directory (by default `Certs/`).
///
/// ```
/// root.pem  root.key                 self-signed root (root.key absent when the root is someone else's)
/// intermediate.pem  intermediate.key signs devices and the broker
/// foreign/root.pem  foreign/intermediate.pem (+ keys)   an untrusted CA for the foreign-ca fault
/// server/cert.pem  server/chain.pem  server/key.pem     broker identity
/// devices/<clientId>/cert.pem  chain.pem  key.pem       one folder per device
/// devices/index.csv  devices/index.json                 what was issued
/// ```
public struct PKILayout: Sendable, Hashable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    func path(_ relative: String) -> String { directory + "/" + relative }

    public var rootCertificate: String { path("root.pem") }
    public var rootKey: String { path("root.key") }
    public var intermediateCertificate: String { path("intermediate.pem") }
    public var intermediateKey: String { path("intermediate.key") }

    public var foreignDirectory: String { path("foreign") }
    public var foreignRootCertificate: String { path("foreign/root.pem") }
    public var foreignRootKey: String { path("foreign/root.key") }
    public var foreignIntermediateCertificate: String { path("foreign/intermediate.pem") }
    public var foreignIntermediateKey: String { path("foreign/intermediate.key") }

    public var serverDirectory: String { path("server") }
    public var serverCertificate: String { path("server/cert.pem") }
    public var serverChain: String { path("server/chain.pem") }
    public var serverKey: String { path("server/key.pem") }

    public var devicesDirectory: String { path("devices") }
    public var indexCSV: String { path("devices/index.csv") }
    public var indexJSON: String { path("devices/index.json") }

    /// The folder of one device, relative to `directory` (as the index records it).
    public static func relativeDeviceDirectory(_ clientID: String) -> String { "devices/" + clientID }
    public func deviceDirectory(_ clientID: String) -> String { path(Self.relativeDeviceDirectory(clientID)) }

    public static let certificateFileName = "cert.pem"
    public static let chainFileName = "chain.pem"
    public static let keyFileName = "key.pem"
}
