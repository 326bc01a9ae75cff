/// The issued identities as the files Azure registers devices from in one step, so 10,000 devices need no
/// hand-typed thumbprints:
///
/// - **Event Grid** (`eventGrid`): a JSON array of namespace clients, each the documented client resource
///   body (REST "Clients – Create Or Update" / ARM `Microsoft.EventGrid/namespaces/clients`) with its name:
///   `authenticationName`, `state`, and `clientCertificateAuthentication` whose `validationScheme` is
///   `ThumbprintMatch` (with `allowedThumbprints`) or `SubjectMatchesAuthenticationName` (Event Grid docs,
///   "MQTT clients": at most 2 thumbprints, only with ThumbprintMatch; client names `^[-a-zA-Z0-9:._]*$`).
/// - **IoT Hub** (`iotHubImport`): the import job's `devices.txt`, one `ExportImportDevice` JSON object a line
///   (IoT Hub docs, "Import and export IoT Hub device identities in bulk"), each `id`, `importMode`, `status`
///   and an `authentication` of type `selfSigned` (the certificate's thumbprint) or `certificateAuthority`.
///
/// Thumbprints are hex digests of the DER certificate: SHA-256 by default, which is what Event Grid's
/// samples register (`step certificate fingerprint`, `openssl x509 -fingerprint -sha256`); IoT Hub takes
/// SHA-1 or SHA-256.
public enum CloudRegistration {
    public enum EventGridValidation: String, Sendable, CaseIterable {
        /// The client's certificate must have exactly the registered thumbprint.
        case thumbprint = "ThumbprintMatch"
        /// The certificate's subject CN must be the authentication name (the CA is uploaded to the namespace).
        case subject = "SubjectMatchesAuthenticationName"
    }

    public enum IoTHubAuthentication: String, Sendable, CaseIterable {
        case selfSigned
        case certificateAuthority
    }

    public enum Thumbprint: String, Sendable, CaseIterable {
        case sha256, sha1
    }

    /// What an export left out and why (faulty twins must not be registered as if healthy).
    public struct Skipped: Sendable, Hashable {
        public var clientID: String
        public var reason: String
    }

    /// The file's text and the identities left out.
    public struct Export: Sendable, Hashable {
        public var text: String
        public var exported: Int
        public var skipped: [Skipped]
    }

    /// Event Grid's client names: 1–128 characters of `[-a-zA-Z0-9:._]`.
    public static func isEventGridClientName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                || "-:._".unicodeScalars.contains($0)) }
    }

    /// IoT Hub device IDs: up to 128 characters of ASCII letters, digits and `-.%_*?!(),:=@$'`.
    public static func isIoTHubDeviceID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128
            && id.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                || "-.%_*?!(),:=@$'".unicodeScalars.contains($0)) }
    }

    public static func eventGrid(_ entries: [IdentityIndexEntry], validation: EventGridValidation,
                                 thumbprint: Thumbprint = .sha256) -> Export {
        var clients: [String] = []
        let skipped = usable(entries) { entry in
            guard isEventGridClientName(entry.clientID) else {
                return "not an Event Grid client name (1-128 of A-Z a-z 0-9 - : . _)"
            }
            var authentication = "\"validationScheme\":" + IdentityIndex.jsonString(validation.rawValue)
            if validation == .thumbprint {
                authentication += ",\"allowedThumbprints\":[" + IdentityIndex.jsonString(digest(entry, thumbprint)) + "]"
            }
            clients.append("  {\"name\":" + IdentityIndex.jsonString(entry.clientID) + ",\"properties\":{"
                + "\"authenticationName\":" + IdentityIndex.jsonString(entry.commonName)
                + ",\"state\":\"Enabled\",\"clientCertificateAuthentication\":{" + authentication + "}}}")
            return nil
        }
        let text = clients.isEmpty ? "[]\n" : "[\n" + clients.joined(separator: ",\n") + "\n]\n"
        return Export(text: text, exported: clients.count, skipped: skipped)
    }

    public static func iotHubImport(_ entries: [IdentityIndexEntry], authentication: IoTHubAuthentication,
                                    thumbprint: Thumbprint = .sha256) -> Export {
        var lines = ""
        var exported = 0
        let skipped = usable(entries) { entry in
            guard isIoTHubDeviceID(entry.clientID) else {
                return "not an IoT Hub device ID (1-128 of A-Z a-z 0-9 -.%_*?!(),:=@$')"
            }
            // IoT Hub's X.509 devices authenticate by a CN equal to their device ID.
            guard authentication == .selfSigned || entry.commonName == entry.clientID else {
                return "its CN \(entry.commonName) is not its device ID"
            }
            var mechanism = "\"type\":" + IdentityIndex.jsonString(authentication.rawValue)
            if authentication == .selfSigned {
                mechanism += ",\"x509Thumbprint\":{\"primaryThumbprint\":" + IdentityIndex.jsonString(digest(entry, thumbprint)) + "}"
            }
            lines += "{\"id\":" + IdentityIndex.jsonString(entry.clientID)
                + ",\"importMode\":\"createOrUpdate\",\"status\":\"enabled\",\"authentication\":{" + mechanism + "}}\n"
            exported += 1
            return nil
        }
        return Export(text: lines, exported: exported, skipped: skipped)
    }

    /// Calls `body` for each healthy entry (the reason it cannot be registered, or nil); faulty identities
    /// are skipped so a fault scenario's twin is never registered as the device.
    private static func usable(_ entries: [IdentityIndexEntry], _ body: (IdentityIndexEntry) -> String?) -> [Skipped] {
        var skipped: [Skipped] = []
        for entry in entries {
            if !entry.fault.isEmpty {
                skipped.append(Skipped(clientID: entry.clientID, reason: "issued with the \(entry.fault) fault"))
            } else if let reason = body(entry) {
                skipped.append(Skipped(clientID: entry.clientID, reason: reason))
            }
        }
        return skipped
    }

    private static func digest(_ entry: IdentityIndexEntry, _ kind: Thumbprint) -> String {
        switch kind {
        case .sha256: entry.sha256Fingerprint
        case .sha1: entry.sha1Thumbprint
        }
    }
}
