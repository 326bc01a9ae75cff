import Crypto
import Foundation

/// What an IoT Hub device sends in CONNECT besides its token (seed 002): client ID = device ID, username
/// `{hub}/{deviceId}/?api-version=…`, and a SAS token for the resource `{hub}/devices/{deviceId}`.
public enum IoTHubDeviceCredentials {
    /// The IoT Hub REST API version the fleet's devices name in their username (the current GA one).
    public static let apiVersion = "2021-04-12"

    /// `{hub}/{deviceId}/?api-version=2021-04-12`. The hub and device ID are not URL-encoded, as the Azure
    /// IoT SDK for Python writes them ("Client ID … is NOT url encoded as part of the username").
    public static func username(hub: String, deviceID: String) -> String {
        "\(hub)/\(deviceID)/?api-version=\(apiVersion)"
    }

    /// `{hub}/devices/{deviceId}`: what a device's token grants access to.
    public static func resourceURI(hub: String, deviceID: String) -> String {
        "\(hub)/devices/\(deviceID)"
    }

    /// A device's SAS token: signed with its own key (raw bytes), or with a hub-level shared access policy's
    /// key when `policyName` is given (the token then names the policy in `skn`).
    public static func token(hub: String, deviceID: String, key: Data, expiry: Int, policyName: String? = nil) -> String {
        SASToken.generate(resourceURI: resourceURI(hub: hub, deviceID: deviceID), key: key, expiry: expiry,
                          policyName: policyName)
    }
}

/// Device keys derived from an enrollment group's key, as the Device Provisioning Service does for symmetric
/// key group enrollments: the device key is HMAC-SHA256 keyed with the base64-decoded group key over the
/// registration ID (the device ID), base64-encoded. The DPS tutorial "Provision devices using symmetric key
/// enrollment groups" (and `az iot dps enrollment-group compute-device-key`) documents the same.
public enum GroupKeyDerivation {
    /// The device key (raw bytes) for `deviceID` from the group key (raw bytes).
    public static func deviceKey(groupKey: Data, deviceID: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(deviceID.utf8), using: SymmetricKey(data: groupKey)))
    }

    /// As `deviceKey(groupKey:deviceID:)`, base64 in and out, as Azure shows keys; nil when `base64GroupKey`
    /// is not base64.
    public static func deviceKey(base64GroupKey: String, deviceID: String) -> String? {
        guard let groupKey = Data(base64Encoded: base64GroupKey) else { return nil }
        return deviceKey(groupKey: groupKey, deviceID: deviceID).base64EncodedString()
    }
}
