import AzureCredentials
import Foundation
import Yams

/// Key bytes that must never be shown: descriptions, dumps and reports print a placeholder, so a plan can
/// be logged without leaking what signs its tokens.
public struct SecretKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: Data

    public init(bytes: Data) {
        self.bytes = bytes
    }

    /// nil when `base64` is not base64 or decodes to nothing.
    public init?(base64: String) {
        guard let bytes = Data(base64Encoded: base64), !bytes.isEmpty else { return nil }
        self.bytes = bytes
    }

    /// As Azure shows keys; only for handing the key to the lab broker that checks it.
    public var base64: String { bytes.base64EncodedString() }
    public var description: String { "<secret key>" }
    public var debugDescription: String { description }
}

/// An IoT Hub group's SAS credentials (`credentials: { sas: … }`): where each device's signing key comes from,
/// which hub its tokens name, and how long a token lives.
public struct SASCredentials: Sendable, Hashable {
    public enum KeySource: Sendable, Hashable {
        /// One device key for every device of the group (`device-key`).
        case deviceKey(SecretKey)
        /// A DPS enrollment group's key; each device's key is derived from its ID (`group-key`).
        case groupKey(SecretKey)
        /// Device ID → key, read from the file the user exported (`device-keys`).
        case deviceKeys(file: String, keys: [String: SecretKey])
        /// A hub-level shared access policy signs every device's token (`policy: { name, key }`).
        case policy(name: String, key: SecretKey)
    }

    public var keys: KeySource
    /// The hub's host name in usernames and tokens (`contoso.azure-devices.net`).
    public var hub: String
    /// How long each token is valid from the connect that presents it (the SDKs' default: 3600 s).
    public var lifetime: Duration
    /// How long before its token expires a connected device reconnects with a fresh one (the Python SDK's
    /// `DEFAULT_TOKEN_UPDATE_MARGIN`, 120 s, by default).
    public var renewBefore: Duration
    /// nil: the documented `{hub}/{deviceId}/?api-version=2021-04-12`.
    public var username: Template?

    /// The lab broker's hub (the `iothub` profile's `host-name`): tokens name it when the broker is the lab's.
    public static let labHub = "lab.azure-devices.net"
    public static let defaultLifetime = Duration.seconds(3600)
    public static let defaultRenewBefore = Duration.seconds(120)

    public init(keys: KeySource, hub: String, lifetime: Duration = defaultLifetime,
                renewBefore: Duration = defaultRenewBefore, username: Template? = nil) {
        self.keys = keys
        self.hub = hub
        self.lifetime = lifetime
        self.renewBefore = renewBefore
        self.username = username
    }

    /// The key that signs `deviceID`'s tokens; nil only for a device the key file lacks (the loader refuses those).
    public func signingKey(for deviceID: String) -> SecretKey? {
        switch keys {
        case .deviceKey(let key), .policy(_, let key): key
        case .groupKey(let group): SecretKey(bytes: GroupKeyDerivation.deviceKey(groupKey: group.bytes, deviceID: deviceID))
        case .deviceKeys(_, let keys): keys[deviceID]
        }
    }

    public var policyName: String? {
        if case .policy(let name, _) = keys { return name }
        return nil
    }

    /// One device's credentials; `sibling` is the device whose token an `other-device` fault presents.
    func device(_ deviceID: String, username: String?, sibling: String) -> DeviceSAS {
        let own = signingKey(for: deviceID) ?? SecretKey(bytes: Data())
        return DeviceSAS(
            hub: hub, deviceID: deviceID,
            username: username ?? IoTHubDeviceCredentials.username(hub: hub, deviceID: deviceID),
            signingKey: own, policyName: policyName, lifetime: lifetime, renewBefore: renewBefore,
            sibling: sibling, siblingKey: signingKey(for: sibling) ?? own)
    }
}

/// A device's SAS credentials, resolved: everything it needs to sign a fresh token at each connect.
public struct DeviceSAS: Sendable, Hashable {
    public var hub: String
    public var deviceID: String
    public var username: String
    public var signingKey: SecretKey
    public var policyName: String?
    public var lifetime: Duration
    public var renewBefore: Duration
    /// Another device of the group, and the key of its tokens: what a device presents when it has the
    /// wrong device's token (`sas-fault` `other-device`).
    public var sibling: String
    public var siblingKey: SecretKey

    /// The token a device presents when it connects at `now` (Unix seconds): valid for `lifetime`.
    public func token(now: Int) -> String {
        IoTHubDeviceCredentials.token(hub: hub, deviceID: deviceID, key: signingKey.bytes,
                                      expiry: now + Int(lifetime.components.seconds), policyName: policyName)
    }
}

/// Reads the device keys a user exported from IoT Hub: a mapping `deviceId: key` (YAML or JSON), a JSON list
/// of device identities (`az iot hub device-identity list`: `deviceId` and `authentication.symmetricKey.primaryKey`),
/// or JSON lines (an `ExportDevices` job's `devices.txt`: `id` and the same `authentication`).
enum DeviceKeyFile {
    enum Problem: Error, Equatable {
        case unreadable(String)
        case unknownFormat
        /// The entry (1-based) has no device ID or primary key.
        case incompleteEntry(Int)
        /// Never names the key itself.
        case notBase64(deviceID: String)
    }

    static func read(path: String) throws(Problem) -> [String: SecretKey] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable((error as NSError).localizedDescription)
        }
        return try parse(text)
    }

    static func parse(_ text: String) throws(Problem) -> [String: SecretKey] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var entries: [(String, String)] = []
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            let documents: [Any]
            if let whole = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) {
                documents = [whole]
            } else {
                // JSON lines: one identity per line.
                documents = trimmed.split(whereSeparator: \.isNewline).compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8))
                }
                guard !documents.isEmpty else { throw .unknownFormat }
            }
            for document in documents {
                if let identities = document as? [[String: Any]] {
                    for identity in identities { entries.append(try identityEntry(identity, number: entries.count + 1)) }
                } else if let object = document as? [String: Any], object["authentication"] != nil {
                    entries.append(try identityEntry(object, number: entries.count + 1))
                } else if let mapping = document as? [String: String] {
                    entries += mapping.sorted { $0.key < $1.key }
                } else {
                    throw .unknownFormat
                }
            }
        } else {
            entries = try yamlMapping(trimmed)
        }
        var keys: [String: SecretKey] = [:]
        for (device, base64) in entries {
            guard let key = SecretKey(base64: base64) else { throw .notBase64(deviceID: device) }
            keys[device] = key
        }
        return keys
    }

    private static func identityEntry(_ identity: [String: Any], number: Int) throws(Problem) -> (String, String) {
        let id = identity["deviceId"] as? String ?? identity["id"] as? String
        let symmetric = (identity["authentication"] as? [String: Any])?["symmetricKey"] as? [String: Any]
        guard let id, let key = symmetric?["primaryKey"] as? String else { throw .incompleteEntry(number) }
        return (id, key)
    }

    /// A YAML mapping `deviceId: key` (what a user writes by hand).
    private static func yamlMapping(_ text: String) throws(Problem) -> [(String, String)] {
        guard let mapping = (try? Yams.load(yaml: text)) as? [String: Any], !mapping.isEmpty else { throw .unknownFormat }
        var entries: [(String, String)] = []
        for (number, (id, value)) in mapping.sorted(by: { $0.key < $1.key }).enumerated() {
            guard let key = value as? String, !key.isEmpty else { throw .incompleteEntry(number + 1) }
            entries.append((id, key))
        }
        return entries
    }
}
