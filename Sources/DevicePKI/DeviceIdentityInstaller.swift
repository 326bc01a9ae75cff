#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Puts one device's files in place as a whole: they are written into a hidden staging folder beside
/// `devices/<clientId>` and the folder is renamed into place, so a reader finds all three files or none.
struct DeviceIdentityInstaller: Sendable {
    let layout: PKILayout

    func install(_ material: DeviceIdentityMaterial) throws {
        let destination = layout.deviceDirectory(material.clientID)
        let staging = SecureFiles.temporaryPath(beside: destination, tag: "staging")
        do {
            try SecureFiles.makeDirectory(staging)
            try SecureFiles.create(staging + "/" + PKILayout.keyFileName, contents: material.keyPEM, mode: SecureFiles.privateMode)
            try SecureFiles.create(
                staging + "/" + PKILayout.certificateFileName, contents: material.certificatePEM, mode: SecureFiles.publicMode)
            try SecureFiles.create(staging + "/" + PKILayout.chainFileName, contents: material.chainPEM, mode: SecureFiles.publicMode)
            if SecureFiles.exists(destination) {
                let replaced = SecureFiles.temporaryPath(beside: destination, tag: "replaced")
                try SecureFiles.rename(destination, to: replaced)
                do {
                    try SecureFiles.rename(staging, to: destination)
                } catch {
                    try? SecureFiles.rename(replaced, to: destination)
                    throw error
                }
                SecureFiles.removeTree(replaced)
            } else {
                try SecureFiles.rename(staging, to: destination)
            }
        } catch {
            SecureFiles.removeTree(staging)
            throw error
        }
    }
}
