/// The files one device needs for mutual TLS: what the TLS client loads.
public struct DeviceIdentityFiles: Sendable, Hashable {
    public let clientID: String
    /// Leaf then intermediate: what the device presents.
    public let chainPath: String
    /// The PEM private key (mode 0600).
    public let keyPath: String
    /// The device certificate alone.
    public let certificatePath: String
}

/// Finds issued device identities by client ID, in a directory laid out by `fleet certs issue`.
public struct DeviceIdentityStore: Sendable {
    public let layout: PKILayout

    public init(directory: String) {
        layout = PKILayout(directory: directory)
    }

    /// The root certificate a client trusts the broker by (when the broker uses `fleet certs server`).
    public var rootCertificatePath: String { layout.rootCertificate }

    /// The identity of `clientID`; throws a clear error for an unsafe client ID or a missing identity.
    public func identity(forClientID clientID: String) throws -> DeviceIdentityFiles {
        try ClientID.validate(clientID)
        let folder = layout.deviceDirectory(clientID)
        let files = DeviceIdentityFiles(
            clientID: clientID,
            chainPath: folder + "/" + PKILayout.chainFileName,
            keyPath: folder + "/" + PKILayout.keyFileName,
            certificatePath: folder + "/" + PKILayout.certificateFileName
        )
        guard SecureFiles.exists(files.chainPath), SecureFiles.exists(files.keyPath) else {
            throw PKIError.identityMissing(clientID: clientID, directory: layout.devicesDirectory)
        }
        return files
    }
}
