import Foundation
import Yams

extension ScenarioParser {
    static let sasKeys = ["device-key", "group-key", "device-keys", "policy", "hub", "lifetime", "renew-before", "username"]
    private static let sasKeySources = ["device-key", "group-key", "device-keys", "policy"]

    /// `sas: { device-key | group-key | device-keys | policy: { name, key }, hub, lifetime, renew-before, username }`.
    /// Key values are never quoted in messages: they are secrets.
    func sasCredentials(_ node: Node, broker: BrokerSpec?) -> SASCredentials? {
        guard let reader = MappingReader(node, what: "`sas`", allowed: Self.sasKeys, diagnostics: diagnostics) else { return nil }
        let sources = reader.presentKeys.filter { Self.sasKeySources.contains($0.key) }
        guard let (sourceKey, _) = sources.first else {
            diagnostics.report(node, "`sas` needs the key that signs the tokens",
                               hint: "add one of device-key, group-key (a DPS enrollment group's), device-keys (a file you exported) or policy: { name, key }")
            return nil
        }
        for extra in sources.dropFirst() {
            diagnostics.report(extra.node, "`sas` takes one key source, found `\(sourceKey)` and `\(extra.key)`",
                               hint: "keep one of device-key, group-key, device-keys, policy")
        }
        guard let valueNode = reader[sourceKey], let keys = sasKeySource(sourceKey, valueNode) else { return nil }
        let hub = reader["hub"].flatMap { diagnostics.string($0, "hub") } ?? Self.defaultHub(broker)
        let lifetime = reader["lifetime"].flatMap { sasDuration($0, "lifetime") } ?? SASCredentials.defaultLifetime
        var renewBefore = SASCredentials.defaultRenewBefore
        if let renewNode = reader["renew-before"] {
            guard let value = sasDuration(renewNode, "renew-before") else { return nil }
            renewBefore = value
        }
        if renewBefore >= lifetime {
            diagnostics.report(reader["renew-before"] ?? reader["lifetime"] ?? node,
                               "`renew-before` \(Quantities.format(renewBefore)) is not shorter than the token `lifetime` \(Quantities.format(lifetime))",
                               hint: "a device renews its token that long before it expires (the SDKs: 120 s); e.g. lifetime: 20s with renew-before: 5s")
            return nil
        }
        let username = reader["username"].flatMap { template($0, "username", scope: .perDevice) }
        return SASCredentials(keys: keys, hub: hub, lifetime: lifetime, renewBefore: renewBefore, username: username)
    }

    /// The hub a group's tokens name when the file does not say: the lab broker's (its `iothub` profile's host
    /// name), or else the broker's own host, as IoT Hub's host name is the hub's.
    static func defaultHub(_ broker: BrokerSpec?) -> String {
        guard let broker, broker.lab == nil else { return SASCredentials.labHub }
        return broker.serverName ?? broker.host
    }

    private func sasKeySource(_ key: String, _ node: Node) -> SASCredentials.KeySource? {
        switch key {
        case "device-key":
            return secretKey(node, "device-key").map { .deviceKey($0) }
        case "group-key":
            return secretKey(node, "group-key").map { .groupKey($0) }
        case "device-keys":
            guard let path = diagnostics.string(node, "device-keys") else { return nil }
            let resolved = resolvedPath(path)
            do {
                return .deviceKeys(file: resolved, keys: try DeviceKeyFile.read(path: resolved))
            } catch {
                diagnostics.report(node, "device key file `\(path)`: \(Self.describe(error))",
                                   hint: "export the devices with `az iot hub device-identity list` (JSON), an ExportDevices job (devices.txt), or write `deviceId: key` lines; paths are relative to "
                                       + (options.baseDirectory ?? "the current working directory"))
                return nil
            }
        default:
            guard let reader = MappingReader(node, what: "`policy`", allowed: ["name", "key"], diagnostics: diagnostics),
                  let nameNode = reader.required("name", hint: "the shared access policy's name, e.g. iothubowner or device"),
                  let name = diagnostics.string(nameNode, "name"),
                  let keyNode = reader.required("key", hint: "the policy's primary key as Azure shows it (base64)"),
                  let secret = secretKey(keyNode, "key")
            else { return nil }
            if !name.utf8.allSatisfy(PolicyName.allowed) {
                diagnostics.report(nameNode, "policy name `\(name)` has characters IoT Hub does not allow in a policy name",
                                   hint: "letters, digits, `.`, `_` and `-` only")
                return nil
            }
            return .policy(name: name, key: secret)
        }
    }

    private func secretKey(_ node: Node, _ key: String) -> SecretKey? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            diagnostics.report(node, "`\(key)` must be a base64 key", hint: "copy the primary key as Azure shows it")
            return nil
        }
        guard let secret = SecretKey(base64: scalar.string) else {
            diagnostics.report(node, "`\(key)` is not base64 (the value is not shown: it is a secret)",
                               hint: "copy the primary key as Azure shows it, e.g. from `az iot hub device-identity show`")
            return nil
        }
        return secret
    }

    private func sasDuration(_ node: Node, _ key: String) -> Duration? {
        guard let value = diagnostics.wholeSeconds(node, key, max: 365 * 24 * 3600) else { return nil }
        guard value >= .seconds(1) else {
            diagnostics.report(node, "`\(key)` must be at least 1s", hint: "tokens expire in whole seconds")
            return nil
        }
        return value
    }

    private static func describe(_ problem: DeviceKeyFile.Problem) -> String {
        switch problem {
        case .unreadable(let why): "cannot be read (\(why))"
        case .unknownFormat: "is neither a `deviceId: key` mapping nor IoT Hub's exported device identities"
        case .incompleteEntry(let number): "entry \(number) has no device ID or no primary key"
        case .notBase64(let device): "the key of `\(device)` is not base64"
        }
    }

    /// Checks every device of a group whose keys come from a file has one, naming the first that does not.
    func checkSASKeys(_ plan: DeviceGroupPlan, node: Node?) {
        guard case .sas(let sas) = plan.credentials, case .deviceKeys(let file, let keys) = sas.keys else { return }
        let missing = (1...plan.count).map { plan.clientID(index: $0) }.filter { keys[$0] == nil }
        if let first = missing.first {
            diagnostics.report(node, "group `\(plan.name)`: \(missing.count == 1 ? "1 device has" : "\(missing.count) devices have") no key in `\(file)`, first `\(first)`",
                               hint: "export the keys again after creating the devices, or make `client-id` produce the exported IDs")
        }
    }
}

/// What IoT Hub allows in a shared access policy name (letters, digits, `.`, `_`, `-`), which also keeps the
/// name unchanged by the token's URL encoding.
enum PolicyName {
    static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
