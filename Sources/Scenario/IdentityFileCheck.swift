import Foundation

/// The one per-device certificate check: which of these devices lack their chain or key in a `fleet certs` folder.
enum IdentityFileCheck {
    /// Paths of the missing files, in device order.
    static func missingFiles(directory: String, clientIDs: [String]) -> [String] {
        var missing: [String] = []
        for clientID in clientIDs {
            let files = DeviceIdentityFiles(directory: directory, clientID: clientID)
            for path in [files.chain, files.key] where !FileManager.default.fileExists(atPath: path) {
                missing.append(path)
            }
        }
        return missing
    }
}
